// Package drill holds the fault drills: tests that stop a real service in
// the middle of real work and check that the system recovers as designed.
// It has no code of its own, only tests.
//
// Elasticsearch is stopped for real (SIGTERM, then restarted on the same data
// folder), but never the shared node on :9200 that other tests use at the
// same time: the drills start an Elasticsearch node of their own once per
// test binary (stacktest.ElasticsearchNode) and stop and restart that one.
// Everything else is the shared local stack (Azurite, the Cosmos DB
// emulator) under names unique to the test, and the ReindexMedia function
// runs as in production: the real handler binary under devhost, fed by a
// real queue.
package drill
