/**
 * @module The page of an address the shop does not have (and of an order that is not the shopper's).
 */

/** The not-found page. */
export default function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>No such page.</p>
    </>
  );
}
