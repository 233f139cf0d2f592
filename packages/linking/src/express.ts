/**
 * @module `@cartlink/linking/express`: the linking endpoints as Express middleware, and the helpers
 * that turn any `(Request) => Promise<Response>` handler into Express middleware. Node.js only; needs
 * the optional peer dependency `express` (`npm i express`, version 5).
 */
export {
  createLinkingExpressMiddleware,
  sendWebResponse,
  toExpressHandler,
  toWebRequest,
} from './adapters/express-node.js';
