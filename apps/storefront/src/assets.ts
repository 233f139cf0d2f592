/**
 * @module The static assets: the shop's stylesheet, icon and script read from `assets/` (beside `src/` and `dist/`, so both find it), and the
 * linking elements' bundle. Each is served at a path carrying a hash of its content, so browsers may
 * cache it for a year (`immutable`) and a new version simply has a new URL.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AssetUrls } from './views/layout.js';

/** One servable file. */
export interface Asset {
  path: string;
  contentType: string;
  body: string;
}

/** The assets by URL path, and the URLs the pages link to. */
export interface AssetBundle {
  byPath: ReadonlyMap<string, Asset>;
  urls: AssetUrls;
}

/** The elements bundle as `buildElementsBundle()` returns it (only the code is needed here). */
export interface ElementsBundleSource {
  code: string;
}

function hashed(name: string, extension: string, body: string): string {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return `/assets/${name}.${digest}.${extension}`;
}

async function readAsset(file: string): Promise<string> {
  return readFile(new URL(`../assets/${file}`, import.meta.url), 'utf8');
}

/** Reads the shop's files and pairs them with the elements bundle. */
export async function loadAssets(elements: ElementsBundleSource): Promise<AssetBundle> {
  const [css, icon, script] = await Promise.all([
    readAsset('storefront.css'),
    readAsset('favicon.svg'),
    readAsset('storefront.js'),
  ]);
  const assets: Asset[] = [
    { path: hashed('storefront', 'css', css), contentType: 'text/css; charset=utf-8', body: css },
    { path: hashed('favicon', 'svg', icon), contentType: 'image/svg+xml', body: icon },
    { path: hashed('storefront', 'js', script), contentType: 'text/javascript; charset=utf-8', body: script },
    {
      path: hashed('cartlink-elements', 'js', elements.code),
      contentType: 'text/javascript; charset=utf-8',
      body: elements.code,
    },
  ];
  const [cssAsset, iconAsset, scriptAsset, elementsAsset] = assets as [Asset, Asset, Asset, Asset];
  return {
    byPath: new Map(assets.map((asset) => [asset.path, asset])),
    urls: {
      css: cssAsset.path,
      icon: iconAsset.path,
      script: scriptAsset.path,
      elements: elementsAsset.path,
    },
  };
}
