// The /docs page: Swagger UI over /openapi.json, every operation ready to
// try (nested routes and file uploads included). The API key goes in
// "Authorize" (X-API-Key); a key the studio holds for this tab is used at once.

/* global SwaggerUIBundle */
const ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  onComplete: () => {
    const key = sessionStorage.getItem("sfd.apiKey");
    if (key) ui.preauthorizeApiKey("ApiKey", key);
  },
});
window.ui = ui;
