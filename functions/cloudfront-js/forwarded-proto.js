// forwarded-proto for CloudFront Functions (cloudfront-js-2.0, viewer-request): the decisions
// of functions/forwarded-proto/src/lib.rs with the protocol https by construction (the
// distribution's viewer protocol policy is redirect-to-https or https-only, so no request on
// http reaches this function; CloudFront-Forwarded-Proto does not exist yet at
// viewer-request). Config keys and what each means here: docs/cloudfront-functions.md.

function handler(event) {
  let request = event.request;
  let host = viewerHost(request);
  if (host.error) return badRequest('Invalid Host header: ' + host.error + '.');
  if (CONFIG.public_hosts.length > 0 && !hostAllowed(CONFIG.public_hosts, host)) {
    return textResponse(421, 'This host is not served here.\n');
  }
  return forward(request, event.viewer.ip, host);
}
