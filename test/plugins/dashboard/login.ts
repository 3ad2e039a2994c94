/** Logging in to the dashboard with fetch, as a browser would: the form's token, its cookie, the session cookie. */
export async function logInWithFetch(url: string, key: string): Promise<{ status: number; cookie: string | undefined; csrf: string | undefined }> {
  const form = await fetch(`${url}/dashboard/login`);
  const token = /name="token" value="([^"]+)"/.exec(await form.text())![1]!;
  const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const answer = await fetch(`${url}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, key, next: '/dashboard' }),
  });
  const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('llm_gateway_session='))?.split(';')[0];
  let csrf: string | undefined;
  if (cookie) {
    const page = await (await fetch(`${url}/dashboard/config`, { headers: { cookie } })).text();
    csrf = /"x-csrf-token": "([^"]+)"/.exec(page)?.[1];
  }
  return { status: answer.status, cookie, csrf };
}
