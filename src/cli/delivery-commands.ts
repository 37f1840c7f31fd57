import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { listHeldMail } from '../db/mail-repository.js';
import { smtpLabel } from '../notify/mailer.js';
import { testMail } from '../notify/templates.js';
import { EMAIL } from '../services/member-file.js';
import { intArg, type CliContext } from './cli-context.js';
import { formatHeldMail, formatTokens } from './format.js';

/** What psa-sync sends and who may call it: `mail …`, `webhooks …`, `callbacks …` and `tokens …`. */
export function registerDeliveryCommands(program: Command, cli: CliContext): void {
  const { withApp, print, actor } = cli;
  const mail = program.command('mail').description("psa-sync's mail: SMTP_URL, or the outbox when none is set");
  mail
    .command('outbox')
    .description('messages held because no SMTP_URL is set (activation links, notifications), newest first')
    .option('--to <email>', 'only messages to this address')
    .action((opts: { to?: string }) =>
      withApp(async (app) => {
        const held = await listHeldMail(app.orm.em.fork(), opts.to);
        print(held, () => formatHeldMail(held, app.env.mail.smtpUrl !== undefined));
      }),
    );
  mail
    .command('test')
    .description('send a test message, to check the mail settings end to end')
    .requiredOption('--to <email>', 'where to send it')
    .action((opts: { to: string }) =>
      withApp(async (app) => {
        if (!EMAIL.test(opts.to)) throw new InputError(`--to must be an email address (got "${opts.to}")`);
        const delivery = await app.mailer.send(opts.to, testMail(app.env.publicUrl));
        print(delivery, () => (delivery.channel === 'smtp' ? `Sent to ${opts.to} through ${smtpLabel(app.env.mail.smtpUrl!)}.` : `No SMTP_URL is set: the message to ${opts.to} is in the outbox (psa-sync mail outbox --to ${opts.to}).`));
      }),
    );

  const webhooks = program.command('webhooks').description("an account's webhook endpoints (Standard Webhooks)");
  webhooks
    .command('add')
    .description("add an endpoint; prints its signing secret (whsec_…) once")
    .argument('<account>', 'account id')
    .requiredOption('--url <url>', 'where to POST events (https; private addresses only with PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true)')
    .action((account: string, opts: { url: string }) =>
      withApp(async (app) => {
        const { endpoint, secret } = await app.webhooks.add(account, opts.url, actor());
        print({ endpoint, secret }, () => [`Webhook ${endpoint.id} → ${endpoint.url}`, `Signing secret (shown only now): ${secret}`].join('\n'));
      }),
    );
  webhooks
    .command('list')
    .description('endpoints: enabled, or disabled and why; latest delivery attempts')
    .argument('<account>', 'account id')
    .action((account: string) =>
      withApp(async (app) => {
        const list = await app.webhooks.list(account);
        print(list, () =>
          list.length === 0
            ? 'No webhooks. Add one with: psa-sync webhooks add ACCOUNT --url URL'
            : list
                .map((w) => {
                  const last = w.attempts[0];
                  return `${w.id}  ${w.url}  ${w.state === 'enabled' ? 'enabled' : `disabled: ${w.disabledReason}`}  ${last ? `last: ${last.event} ${last.ok ? 'ok' : `failed (${last.statusCode ?? last.error})`} at ${last.at}` : 'no deliveries yet'}`;
                })
                .join('\n'),
        );
      }),
    );

  const callbacks = program.command('callbacks').description("ConnectWise member callbacks: changes reach psa-sync in minutes");
  callbacks
    .command('register')
    .description("register psa-sync's member callback on the account's ConnectWise (reuses its own entry; never touches others)")
    .argument('<account>', 'account id')
    .requiredOption('--url <public-url>', "psa-sync's public base URL, which ConnectWise can reach (e.g. https://reviews.example.com)")
    .action((account: string, opts: { url: string }) =>
      withApp(async (app) => {
        if (!/^https?:\/\/[^\s]+$/.test(opts.url)) throw new InputError(`--url must be a URL such as https://reviews.example.com (got "${opts.url}")`);
        const result = await app.callbacks.register(account, opts.url, actor());
        print(result, () => `${result.reused ? 'Already registered' : 'Registered'}: ConnectWise callback ${result.callback.id} → ${result.callback.url}`);
      }),
    );
  callbacks
    .command('unregister')
    .description("remove psa-sync's own callback from the account's ConnectWise")
    .argument('<account>', 'account id')
    .action((account: string) =>
      withApp(async (app) => {
        const result = await app.callbacks.unregister(account, actor());
        print(result, () => (result.removed.length > 0 ? `Removed ConnectWise callback ${result.removed.join(', ')}.` : 'psa-sync had no callback registered on this ConnectWise.'));
      }),
    );

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('list')
    .description('API tokens (never the tokens themselves): role, account, state, expiry, last use')
    .option('--account <account>', "only this account's tokens")
    .action((opts: { account?: string }) =>
      withApp(async (app) => {
        const list = await app.tokens.list({ accountId: opts.account });
        print(list, () => formatTokens(list));
      }),
    );
  tokens
    .command('revoke')
    .description('revoke a token: from now on it answers 401')
    .argument('<token>', 'token id, as printed by tokens list')
    .action((tokenId: string) =>
      withApp(async (app) => {
        const revoked = await app.tokens.revoke(tokenId, actor());
        print(revoked, () => formatTokens([revoked]));
      }),
    );
  tokens
    .command('create')
    .description('create an API token; it is printed once and stored hashed')
    .requiredOption('--role <role>', 'admin | account_manager | support')
    .option('--account <account>', 'the account an admin or account_manager token belongs to')
    .option('--name <name>', 'a label for the token, shown in run logs')
    .option('--expires-in <days>', 'the token answers 401 after this many days (default: never)', intArg('--expires-in'))
    .action((opts: { role: string; account?: string; name?: string; expiresIn?: number }) =>
      withApp(async (app) => {
        const { token, record } = await app.tokens.create({ role: opts.role, accountId: opts.account, name: opts.name, expiresInDays: opts.expiresIn }, actor());
        print({ ...record, token }, () =>
          [
            `Token ${record.id} for ${record.role}${record.accountId ? ` of account ${record.accountId}` : ' (all accounts, read only)'}${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''}:`,
            token,
            'It is shown only now; store it somewhere safe.',
          ].join('\n'),
        );
      }),
    );
}
