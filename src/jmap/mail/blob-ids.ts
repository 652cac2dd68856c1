// Blob ids for MIME parts. The store names whole messages and uploads; a part is addressed as
// "P" + base64url(emailId NUL partId), which is a valid JMAP Id and carries everything needed to
// find the bytes again. Reading one always goes through the account's own emails, so a part blob
// id of another account resolves to nothing.

export function partBlobId(emailId: string, partId: string): string {
  return 'P' + Buffer.from(`${emailId}\0${partId}`, 'utf8').toString('base64url');
}

export function parsePartBlobId(blobId: string): { emailId: string; partId: string } | undefined {
  if (!blobId.startsWith('P')) return undefined;
  const decoded = Buffer.from(blobId.slice(1), 'base64url').toString('utf8');
  const nul = decoded.indexOf('\0');
  if (nul <= 0) return undefined;
  return { emailId: decoded.slice(0, nul), partId: decoded.slice(nul + 1) };
}
