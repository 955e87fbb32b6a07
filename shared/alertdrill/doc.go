// Package alertdrill measures how fast the system notices a fault: under a
// steady open-loop search and detail load against the real handler (under
// devhost, with real Keycloak tokens), it injects one fault at a time and
// records the seconds until readiness (GET /api/health) reflects it and
// until each alert of the repository's rule files fires in a real local
// Prometheus scraping the handler. The results go into OPERATIONS.md.
//
// The drills are long-running measurements (about a quarter of an hour), so
// they sit behind the build tag "drills" and run only from `make drills`,
// never from `make test`:
//
//	(a) the handler's Elasticsearch node is stopped (a node of the drill's
//	    own, stacktest.StartElasticsearchNode: never the shared :9200);
//	(b) Cosmos DB answers 429 to a share of requests (a [ThrottlingProxy] in
//	    front of the emulator: COSMOS_ENDPOINT points at it);
//	(c) the reindex queue's consumer stalls (its devhost stops) while
//	    supplier drops keep arriving;
//	(d) a message that fails every time reaches the poison queue after the
//	    host's five dequeues.
//
// The package's own code is the fault-injecting proxy; it is unit tested
// without any service.
package alertdrill
