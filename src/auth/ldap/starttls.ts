// StartTLS (RFC 4511 §4.14) done before ldapts gets the socket. ldapts' own startTLS() swaps in the
// TLS socket without its close handling, so a server restart leaves the client "connected" and every
// request waits for the read timeout. Upgrading here and handing ldapts a finished TLS socket (as for
// ldaps://) keeps its normal close and error handling.
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ExtendedRequest, ExtendedResponse, MessageParser, MessageResponseStatus, StatusCodeParser } from 'ldapts';

const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

function requestStartTls(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = new MessageParser();
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onData = (data: Buffer) => parser.read(data, new Map());
    const onClose = () => finish(new Error('connection closed during StartTLS'));
    const timer = setTimeout(() => finish(new Error(`StartTLS timed out after ${timeoutMs} ms`)), timeoutMs);
    parser.on('error', (err) => finish(err));
    parser.on('message', (message) => {
      if (!(message instanceof ExtendedResponse)) finish(new Error('unexpected answer to StartTLS'));
      else if (message.status !== MessageResponseStatus.Success) finish(StatusCodeParser.parse(message));
      else finish();
    });
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(new ExtendedRequest({ messageId: 1, oid: STARTTLS_OID }).write());
  });
}

function handshake(socket: Socket, tlsOptions: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...tlsOptions, socket });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new Error(`TLS handshake timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    secure.once('error', (err) => {
      clearTimeout(timer);
      secure.destroy();
      reject(err);
    });
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      // Until ldapts attaches its own handlers, an error must not go unheard (it would crash).
      secure.on('error', () => secure.destroy());
      resolve(secure);
    });
  });
}

/**
 * Asks the server to start TLS on a fresh connection (message id 1, before anything else is sent)
 * and returns the upgraded socket. Throws if the server refuses or the certificate is not trusted:
 * the caller must then drop the connection, never carry on in clear text.
 */
export async function startTls(socket: Socket, tlsOptions: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
  await requestStartTls(socket, timeoutMs);
  return handshake(socket, tlsOptions, timeoutMs);
}
