/**
 * `cartlink-emulator apps …`: the application lifecycle of a running emulator (list, clone,
 * disable, enable, delete) through its admin API, with the test kit's typed client. Web standards
 * only (the caller passes `fetch` and where the lines go), so it runs in a test without a process.
 */
import type { AppsCommand } from './cli-options-node.js';
import { EmulatorAdmin, EmulatorAdminError } from './test-kit/admin-client.js';

/** Where {@link runAppsCommand} sends the HTTP calls and its output. */
export interface AppsCommandIo {
  /**
   * How the admin calls go out.
   *
   * @default globalThis.fetch
   */
  fetch?: (request: Request) => Promise<Response>;
  /** Writes one block of output (the JSON answer). */
  out(text: string): void;
  /** Writes one line of error. */
  err(text: string): void;
}

/** The answer of `apps delete`, which the admin API gives as an empty 204. */
interface DeletedApp {
  client_id: string;
  deleted: true;
}

async function perform(admin: EmulatorAdmin, command: AppsCommand): Promise<unknown> {
  const clientId = command.clientId ?? '';
  switch (command.action) {
    case 'list':
      return admin.listApps();
    case 'clone': {
      const { clientId: newClientId, clientSecret, redirectUris } = command.clone;
      return admin.cloneApp(clientId, {
        ...(newClientId === undefined ? {} : { client_id: newClientId }),
        ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
        ...(redirectUris === undefined ? {} : { redirect_uris: redirectUris }),
      });
    }
    case 'disable':
      return admin.disableApp(clientId);
    case 'enable':
      return admin.enableApp(clientId);
    case 'delete': {
      await admin.deleteApp(clientId);
      const deleted: DeletedApp = { client_id: clientId, deleted: true };
      return deleted;
    }
  }
}

/**
 * Runs one `apps` command and returns the exit code: 0 with the answer as JSON on `out`, 1 with
 * one line on `err` when the emulator refuses the call (the status and its body, e.g. a 409
 * `app_has_live_tokens`) or cannot be reached.
 */
export async function runAppsCommand(command: AppsCommand, io: AppsCommandIo): Promise<number> {
  const admin = new EmulatorAdmin(command.url, {
    ...(command.adminToken === undefined ? {} : { adminToken: command.adminToken }),
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });
  try {
    io.out(JSON.stringify(await perform(admin, command), null, 2));
    return 0;
  } catch (error) {
    if (error instanceof EmulatorAdminError) {
      io.err(
        `cartlink-emulator apps ${command.action}: ${error.call} answered ${error.status}: ${error.body}`,
      );
      return 1;
    }
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    io.err(
      `cartlink-emulator apps ${command.action}: cannot reach the emulator at ${command.url}: ${reason}`,
    );
    return 1;
  }
}
