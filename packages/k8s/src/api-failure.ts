import { ApiException } from "@kubernetes/client-node";
import { QusError, type QusErrorCode } from "@qus/core";
import { printable } from "@qus/core/toolkit";

/**
 * How one call to the API server failed, as data. The client's and undici's error shapes are read here only: an
 * HTTP status is an {@link ApiException}'s; everything else failed before any status (a DOMException's legacy
 * `code`, such as 23 for a timeout, is no status).
 */
export type ApiFailure =
  | { readonly kind: "http"; readonly status: number; readonly message?: string }
  /** No answer in time: `afterMs` when it was qus's own bound. */
  | { readonly kind: "timeout"; readonly afterMs?: number }
  | { readonly kind: "refused"; readonly address?: string }
  | { readonly kind: "dns"; readonly host?: string; readonly code: string }
  | { readonly kind: "tls"; readonly code: string; readonly reason: string }
  | { readonly kind: "dropped"; readonly reason: string }
  | { readonly kind: "other"; readonly reason: string };

const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA"]);
const TIMEOUT = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
const DROPPED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
// OpenSSL's verify errors (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, UNABLE_TO_GET_ISSUER_CERT_LOCALLY...),
// Node's (ERR_TLS_CERT_ALTNAME_INVALID) and the handshake's (ERR_SSL_WRONG_VERSION_NUMBER, EPROTO).
const TLS = /^(ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|UNABLE_TO_|SIGNATURE/;

type Cause = { code?: unknown; message?: unknown; hostname?: unknown; address?: unknown; port?: unknown };

/** The failure of a call that rejected with `error`; `timeoutMs` is the bound qus put on the call. */
export function apiFailureOf(error: unknown, timeoutMs: number): ApiFailure {
  if (error instanceof ApiException && typeof error.code === "number") {
    return { kind: "http", status: error.code, message: statusMessage(error.body) };
  }
  if (error instanceof Error && error.name === "TimeoutError") return { kind: "timeout", afterMs: timeoutMs };
  // fetch rejects with "fetch failed" and the socket's error as its cause (an AggregateError when several addresses
  // were tried).
  const outer = error instanceof Error && error.cause instanceof Error ? (error.cause as Cause) : (error as Cause);
  const inner = (outer as { errors?: unknown } | null | undefined)?.errors;
  const cause = typeof outer?.code === "string" || !Array.isArray(inner) ? outer : (inner[0] as Cause);
  const code = typeof cause?.code === "string" ? cause.code : "";
  const reason = oneLine(typeof cause?.message === "string" ? cause.message : String(error));
  if (code === "ECONNREFUSED") {
    const address = typeof cause.address === "string" ? `${cause.address}:${String(cause.port)}` : undefined;
    return { kind: "refused", address };
  }
  if (DNS.has(code))
    return { kind: "dns", host: typeof cause.hostname === "string" ? cause.hostname : undefined, code };
  if (TIMEOUT.has(code)) return { kind: "timeout" };
  if (DROPPED.has(code)) return { kind: "dropped", reason };
  if (TLS.test(code)) return { kind: "tls", code, reason };
  return { kind: "other", reason };
}

/** The `message` of the Status object an API server sends with an error status, if there is one. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === "string" && message !== "" ? oneLine(message) : undefined;
}

/** A message from elsewhere, shown safely: one line, control characters escaped, at most 300 characters. */
function oneLine(text: string): string {
  const line = printable(text.trim());
  return line.length > 300 ? `${line.slice(0, 300)}…(${line.length - 300} more)` : line;
}

/** The words of a failure, once: one error naming what was asked, the server, what happened and what to check. */
export function apiError(failure: ApiFailure, what: string, server: string, cause: unknown): QusError {
  const { code, detail, hint } = wordsOf(failure);
  return new QusError(code, `could not ${what} at ${server}: ${detail}`, { hint, cause });
}

const REACH = "check the cluster's server in the kubeconfig (kubectl config view --minify) and that it answers";
const ASK = "check KUBECONFIG (or the pod's service account) and that the API server answers: kubectl get nodes";

function wordsOf(failure: ApiFailure): { code: QusErrorCode; detail: string; hint: string } {
  const code = "QUS_ENGINE_UNREACHABLE";
  switch (failure.kind) {
    case "http": {
      const hint =
        failure.status === 403
          ? "the service account needs get and patch on nodes: apply the manifest from qus k8s manifest --label-nodes"
          : failure.status === 401
            ? "the API server does not take the kubeconfig's credentials: check its user (kubectl get nodes)"
            : ASK;
      return { code, detail: `HTTP ${failure.status}${failure.message ? `: ${failure.message}` : ""}`, hint };
    }
    case "timeout":
      return {
        code: "QUS_TIMEOUT",
        detail:
          failure.afterMs === undefined ? "the connection timed out" : `no answer within ${failure.afterMs / 1000} s`,
        hint: `${REACH}: kubectl get nodes (a firewall that drops packets, or a VPN that is down, looks like this)`,
      };
    case "refused":
      return {
        code,
        detail: `connection refused (nothing listens at ${failure.address ?? "that address"})`,
        hint: `${REACH}: the host or port may be wrong, or the API server down`,
      };
    case "dns":
      return {
        code,
        detail: `the host ${failure.host ? printable(failure.host) : "of the server"} is not found (DNS: ${failure.code})`,
        hint: `${REACH}: its host name may be misspelt, or resolve only on another network`,
      };
    case "tls":
      return {
        code,
        detail: `the TLS handshake failed (${failure.code}): ${failure.reason}`,
        hint: "the cluster's certificate-authority-data (or certificate-authority) in the kubeconfig must be the CA that signed the API server's certificate, for the server's name; kubectl get nodes checks the same",
      };
    case "dropped":
      return {
        code,
        detail: `the connection closed before an answer (${failure.reason})`,
        hint: `${REACH}: a proxy or load balancer in between may be dropping it`,
      };
    case "other":
      return { code, detail: failure.reason, hint: ASK };
  }
}
