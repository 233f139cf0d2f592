/**
 * @module Corner Market's catalogue: a fixed list of groceries priced in US cents. A real shop would
 * keep this in its database; a constant keeps the demo's prices the same on every instance.
 */

/** One product on the shelf. */
export interface Product {
  id: string;
  name: string;
  /** What one unit is ("1 lb", "12 oz"). */
  unit: string;
  priceCents: number;
  /** A word for the tile's colour, matching a class in the stylesheet. */
  tone: 'green' | 'red' | 'yellow' | 'brown' | 'blue' | 'orange';
}

/** The shop's currency (ISO 4217). Every price and fee is in it. */
export const CURRENCY = 'USD';

/** The delivery fee charged unless an Instacart+ membership waives it. */
export const DELIVERY_FEE_CENTS = 399;

/** Most of one product a cart may hold; keeps a mistaken double-click from becoming 100 cartons. */
export const MAX_QUANTITY = 20;

/** The products, in shelf order. */
export const PRODUCTS: readonly Product[] = Object.freeze([
  { id: 'bananas', name: 'Organic bananas', unit: 'bunch of 6', priceCents: 249, tone: 'yellow' },
  { id: 'avocados', name: 'Hass avocados', unit: 'bag of 4', priceCents: 599, tone: 'green' },
  { id: 'strawberries', name: 'Strawberries', unit: '1 lb', priceCents: 449, tone: 'red' },
  { id: 'sourdough', name: 'Sourdough loaf', unit: '24 oz', priceCents: 529, tone: 'brown' },
  { id: 'eggs', name: 'Free-range eggs', unit: 'dozen', priceCents: 489, tone: 'orange' },
  { id: 'milk', name: 'Whole milk', unit: 'half gallon', priceCents: 379, tone: 'blue' },
  { id: 'coffee', name: 'Medium roast coffee', unit: '12 oz', priceCents: 1099, tone: 'brown' },
  { id: 'spinach', name: 'Baby spinach', unit: '5 oz', priceCents: 349, tone: 'green' },
  { id: 'tomatoes', name: 'Vine tomatoes', unit: '1 lb', priceCents: 299, tone: 'red' },
  { id: 'oats', name: 'Rolled oats', unit: '42 oz', priceCents: 649, tone: 'orange' },
]);

const byId = new Map(PRODUCTS.map((product) => [product.id, product]));

/** The product with this id, or undefined (ids come from form posts and old cart rows). */
export function findProduct(id: string): Product | undefined {
  return byId.get(id);
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: CURRENCY });

/** Formats cents as US dollars: 399 → "$3.99". */
export function formatCents(cents: number): string {
  return usd.format(cents / 100);
}
