/**
 * @module Styles shared by both elements. Lit adopts them as constructed stylesheets
 * (`adoptedStyleSheets`), which a CSP without `'unsafe-inline'` in `style-src` does not block.
 *
 * Retailers theme the elements with these custom properties (all optional):
 * `--cartlink-accent`, `--cartlink-accent-text`, `--cartlink-accent-soft`, `--cartlink-radius`,
 * `--cartlink-font`, `--cartlink-text`, `--cartlink-muted`, `--cartlink-background`,
 * `--cartlink-border`, `--cartlink-padding`; and with `::part()` (see each element).
 */
import { css } from 'lit';

/** Typography, colours and buttons, the same in the card and the dialog. */
export const baseStyles = css`
  :host {
    /* Instacart-like green, darkened so white text on it keeps a 5:1 contrast (WCAG AA). */
    --_accent: var(--cartlink-accent, #0a7d2c);
    --_accent-text: var(--cartlink-accent-text, #fff);
    --_text: var(--cartlink-text, #1f2328);
    --_muted: var(--cartlink-muted, #555c64);
    --_bg: var(--cartlink-background, #fff);
    --_border: var(--cartlink-border, #d5d9de);
    --_radius: var(--cartlink-radius, 12px);
    --_pad: var(--cartlink-padding, 20px);
    font-family: var(--cartlink-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--_text);
    line-height: 1.45;
  }
  h2 {
    margin: 0 0 6px;
    font-size: 1.125rem;
    line-height: 1.3;
    font-weight: 650;
  }
  p {
    margin: 0 0 10px;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 10px;
    margin-top: 16px;
  }
  button {
    font: inherit;
    font-weight: 600;
    font-size: 0.95rem;
    min-height: 40px;
    padding: 8px 18px;
    border-radius: calc(var(--_radius) * 2);
    border: 1.5px solid var(--_accent);
    background: var(--_bg);
    color: var(--_accent);
    cursor: pointer;
    display: inline-flex;
    align-items: center;
    gap: 8px;
  }
  button.primary {
    background: var(--_accent);
    color: var(--_accent-text);
  }
  button:hover {
    filter: brightness(0.93);
  }
  button:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  button[aria-disabled='true'] {
    cursor: progress;
    opacity: 0.8;
  }
  .spinner {
    width: 1em;
    height: 1em;
    border-radius: 50%;
    border: 2px solid currentColor;
    border-right-color: transparent;
    animation: spin 0.8s linear infinite;
    flex: none;
  }
  @keyframes spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 2.4s;
    }
  }
`;
