/**
 * What a command's environment needs for its tools to use the allowlist proxy: the one way out
 * of an allowlist session, on Linux (runner/linux/proxy.ts: a listener in the session's own
 * namespace) and on Windows (runner/windows/backend.ts: the proxy the launcher holds on the
 * installation's loopback port). The runner sets these after the client's variables, so a
 * request cannot point them elsewhere; a tool that ignores them has no route and fails closed.
 */
export function proxyEnvironment(port: number): Record<string, string> {
  const http = `http://127.0.0.1:${port}`;
  const socks = `socks5h://127.0.0.1:${port}`;
  return {
    HTTP_PROXY: http,
    http_proxy: http,
    HTTPS_PROXY: http,
    https_proxy: http,
    ALL_PROXY: socks,
    all_proxy: socks,
    NO_PROXY: '',
    no_proxy: '',
    // curl and git read the variables above (curl only lower-case http_proxy); npm reads its own
    // config keys; pip has its own option; Node ≥ 22.21 / 24 fetch and http honour the variables with NODE_USE_ENV_PROXY.
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    npm_config_noproxy: '',
    PIP_PROXY: http,
    NODE_USE_ENV_PROXY: '1',
  };
}
