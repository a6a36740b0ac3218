/* /api/docs: Swagger UI (vendor/swagger-ui) over the hub's OpenAPI document.
 *
 * A page to read the API, not to call it: no "Try it out" and no Authorize dialog, so no
 * token is ever typed here, and the page fetches nothing but the document. */
(function () {
  "use strict";
  const root = document.getElementById("api-docs");
  const nothing = () => null;
  window.ui = SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    // Each operation gets an address (#/tag/operationId) to link to.
    deepLinking: true,
    // Whatever the layout, no badge fetched from validator.swagger.io.
    validatorUrl: null,
    // ?url= and ?configUrl= would point the viewer at another document.
    queryConfigEnabled: false,
    supportedSubmitMethods: [],
    plugins: [() => ({ components: { authorizeBtn: nothing, authorizeOperationBtn: nothing } })],
  });
})();
