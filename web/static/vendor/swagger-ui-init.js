// Starts the vendored Swagger UI on /docs (our code, not Swagger's). The page names the OpenAPI document in
// data-openapi-url, so no inline script is needed; nothing is loaded from any other origin.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the default would ask validator.swagger.io about our schema
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
