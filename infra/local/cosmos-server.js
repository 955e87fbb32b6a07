// Starts @vercel/cosmosdb-server on loopback with a certificate the stack
// generates (see infra/local/stack, tls_ensure).
//
// Why not the package's own CLI: its bundled certificate expired in 2021 and
// carries no subjectAltName, so Go's verifier rightly rejects it. Rather than
// switch TLS verification off in clients, the stack makes a fresh self-signed
// certificate for 127.0.0.1/localhost and Go clients trust exactly that one.
// keepAlive is on because the package default closes every connection, which
// costs a TLS handshake per request.
//
// Usage: node cosmos-server.js <host> <port> <cert.pem> <key.pem>
"use strict";

const fs = require("fs");

// cosmosdb-server 1.0.1 answers a point read of a missing document with a
// 500 (it dereferences the absent document: "Cannot read properties of
// undefined"). Cosmos DB answers 404, and the system relies on that to tell
// "no such title" from "the database failed". Patch the handler before the
// route table captures it; only that TypeError becomes a 404.
const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
const readDocumentOriginal = readDocument.default;
readDocument.default = (account, req, res, params) => {
  try {
    return readDocumentOriginal(account, req, res, params);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    res.statusCode = 404;
    return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
  }
};

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const [host, port, certPath, keyPath] = process.argv.slice(2);
if (!host || !port || !certPath || !keyPath) {
  console.error("usage: cosmos-server.js <host> <port> <cert.pem> <key.pem>");
  process.exit(2);
}

const server = createHttpsServer({
  cert: fs.readFileSync(certPath),
  key: fs.readFileSync(keyPath),
  minVersion: "TLSv1.2",
  keepAlive: true,
});
server.keepAliveTimeout = 30000;
server.listen(Number(port), host, () => {
  const addr = server.address();
  console.log(`cosmosdb-server ready at https://${addr.address}:${addr.port}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
