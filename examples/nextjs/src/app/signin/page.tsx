/**
 * @module `/signin`: the stand-in sign-in, one button per demo shopper.
 */
import type { Metadata } from 'next';
import { SHOPPERS } from '../../shop.js';
import { signIn } from '../actions';

/** The page's title. */
export const metadata: Metadata = { title: 'Sign in' };

/** The sign-in page. */
export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { error } = await searchParams;
  return (
    <>
      <h1>Sign in</h1>
      {error === undefined ? null : <p role="alert">Pick one of the demo shoppers.</p>}
      <p>
        <strong>A stand-in:</strong> pick a demo shopper; there are no passwords. Your shop signs people in
        its own way.
      </p>
      <form action={signIn}>
        <ul>
          {SHOPPERS.map((shopper) => (
            <li key={shopper.id}>
              <button type="submit" name="shopper" value={shopper.id}>
                {shopper.firstName} {shopper.lastName}
                {shopper.admin ? ' (finance: reconciliation report)' : ''}
              </button>
            </li>
          ))}
        </ul>
      </form>
    </>
  );
}
