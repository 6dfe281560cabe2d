// Saves bytes the page holds as a file the operator downloads (a CSR, a
// client bundle): a Blob URL behind a temporary <a download>, revoked at once.
export function download(name: string, data: Uint8Array | string, type = 'application/octet-stream'): void {
  const blob = new Blob([typeof data === 'string' ? data : data.slice().buffer], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The text of a file the operator picked (PEM files). */
export async function readText(input: HTMLInputElement): Promise<string | null> {
  const f = input.files?.[0];
  return f === undefined ? null : await f.text();
}

/** The bytes of a file the operator picked (PKCS#12). */
export async function readBytes(input: HTMLInputElement): Promise<{ name: string; bytes: Uint8Array } | null> {
  const f = input.files?.[0];
  return f === undefined ? null : { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}
