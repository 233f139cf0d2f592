/**
 * @module `/`: what the example shows.
 */

/** The home page. */
export default function HomePage() {
  return (
    <>
      <h1>Corner Shop</h1>
      <p>
        Link your Instacart account on your <a href="/account/profile">account page</a>: Instacart+ members
        get $0 delivery at <a href="/checkout">checkout</a>.
      </p>
    </>
  );
}
