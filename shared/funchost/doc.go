// Package funchost implements the wire protocol between the Azure Functions
// host (runtime v4) and this custom handler for non-forwarded invocations:
// the host POSTs a JSON envelope to /<FunctionName> and expects a JSON
// envelope back. The rules below come from
// shared/reference/functions-protocol.md (§2 request, §4 response, §7
// pitfalls); section numbers in comments refer to that document.
//
// # Request
//
// The body is {"Data": {...}, "Metadata": {...}} (§2.1). Data holds one key
// per input binding (the trigger included), named as in function.json;
// Metadata holds the trigger's binding data plus "sys" and, under a retry
// policy, "RetryContext". Keys ending in "trigger" (BlobTrigger,
// QueueTrigger) are stripped by the host and never arrive.
//
// Each value is encoded by the host's rules (§2.2), which decide how it must
// be decoded:
//
//   - .NET objects (TimerInfo, the HTTP request, sys, blob Properties, Query
//     and Headers dictionaries) are real JSON objects.
//   - Strings, numbers, booleans and arrays are double-encoded: a JSON string
//     whose content is JSON text. A queue message "abc" arrives as
//     "\"abc\"", DequeueCount 1 as "1", a list as "[...]".
//   - byte[] values (blob trigger content, queue triggers with
//     dataType "binary") are a single base64 JSON string. They must never be
//     unwrapped: base64 text such as "1234" is also valid JSON (§8 caveat).
//   - Dates (queue InsertionTime and friends) are plain strings with an
//     offset and no fractional seconds, e.g. "2022-06-20T06:00:06+00:00".
//
// [ParseRequest] checks only the envelope. The typed accessors on
// [InvokeRequest] ([InvokeRequest.QueueMessage], [InvokeRequest.QueueMeta],
// [InvokeRequest.Timer], [InvokeRequest.HTTPRequest], [InvokeRequest.Sys],
// [InvokeRequest.Bytes], ...) apply the rule that fits each binding, and
// [Unwrap] / [DecodeValue] implement the generic double-encoding rule for
// everything else. Accessor errors wrap [ErrMissingBinding] or
// [ErrWrongType]; envelope errors wrap [ErrMalformed].
//
// # Response
//
// The reply is {"Outputs": {...}, "Logs": [...], "ReturnValue": ...} (§4.1),
// always with Content-Type application/json and never with an empty body: an
// empty 200 body is believed to leave the invocation hanging until
// functionTimeout. [InvokeResponse] always encodes all three keys, with
// Logs as [] and Outputs as {} when empty. Any non-2xx status fails the
// invocation (§4.3): queue and blob triggers retry and finally poison the
// message, no output binding is written and Logs are discarded.
//
// For an HTTP trigger that is not forwarded, the caller's status code is not
// the status of this handler's response; it travels in an [HTTPResponse]
// placed in Outputs (or ReturnValue for a $return binding). Returning an
// error from a [Func] gives the caller a 500.
//
// # Handler
//
// [Handler] adapts a [Func] to net/http. It reads the body up to a size
// limit, parses the envelope, calls the function with the invocation id
// (header X-Azure-Functions-InvocationId) and W3C traceparent in the context
// and the logger, and maps the outcome to a status in one place: 200 with the
// response envelope, 400 for envelope or binding decode errors, 405 for a
// method other than POST, 413 for an oversized body, 500 for any other
// function error or a panic. Every response has a JSON body.
package funchost
