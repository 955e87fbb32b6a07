// Renders the API description with the embedded Swagger UI. Loaded as a file,
// never inline, so the page's Content-Security-Policy allows scripts from the
// same origin only.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    displayOperationId: true,
    // No call to validator.swagger.io or any other host.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {
      document.body.setAttribute("data-docs-ready", "true");
    }
  });
});
