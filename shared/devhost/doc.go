// Package devhost is a local stand-in for the Azure Functions host (runtime
// v4) running this app's custom handler. The real host cannot run on the
// development machines, so devhost reproduces what the handler can observe
// of it, byte for byte where the wire format is known
// (shared/reference/functions-protocol.md; § numbers in comments refer to
// it):
//
//   - Definition: host.json and <functions>/<Name>/function.json through
//     shared/funcdef; app settings from local.settings.json "Values" (or
//     local.settings.sample.json), with %Name% binding expressions
//     resolved against them as the host's app-setting resolver does.
//   - Process: the handler (customHandler.description.defaultExecutablePath,
//     relative to the app root) runs as a child with the settings as
//     environment plus FUNCTIONS_CUSTOMHANDLER_PORT, FUNCTIONS_HTTPWORKER_PORT,
//     FUNCTIONS_CUSTOMHANDLER_WORKER_ID and FUNCTIONS_APP_ROOT_PATH. devhost
//     waits for GET / (every 25 ms, any HTTP response means ready, 30 s
//     timeout) and restarts the handler with backoff when it exits.
//   - HTTP: functions whose bindings are exactly httpTrigger + http, with
//     forwarding enabled, receive the caller's request as it came (§3);
//     every other HTTP function receives POST /<Name> with the §2.6
//     envelope, and its http output is mapped back per §4.2.
//   - Queue triggers poll Azurite with the host.json extensions.queues
//     semantics (messageEncoding, batchSize, newBatchThreshold,
//     visibilityTimeout, maxPollingInterval, maxDequeueCount and the
//     <queue>-poison queue) and send the §2.4 envelope; queue output
//     bindings are written from the response (§4.2).
//   - Timer triggers fire on their six-field NCRONTAB schedule in UTC.
//   - POST /admin/functions/<Name> runs a non-HTTP function now, like the
//     host's admin API.
//   - An Event Grid stand-in watches a blob container and enqueues one
//     Microsoft.Storage.BlobCreated event per blob version, as an Event
//     Grid subscription with a storage queue destination does
//     (eventgrid.go cites the sources).
//
// Every invocation carries X-Azure-Functions-InvocationId,
// X-Azure-Functions-HostVersion, User-Agent Azure-Functions-Host/<version>
// and a W3C traceparent, and is logged as one line.
//
// What devhost does not do: authorization keys (every authLevel is served
// anonymously, as Core Tools does), input bindings other than the trigger,
// output bindings other than queue and http, blob triggers, the timer
// schedule monitor's persisted state, and identity-based connections.
// Functions using them are reported at startup.
package devhost
