// Starts GraphiQL against this server's /graphql. Set X-API-Key in the
// Headers tab when the server has API keys; GraphiQL keeps it in this browser.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultHeaders: '{\n  "X-API-Key": ""\n}',
    shouldPersistHeaders: true,
    defaultQuery: '# sfd GraphQL: the old server\'s schema and sfd\'s additions.\n{\n  dramaSummaries(limit: 10) {\n    id\n    title\n    url\n  }\n}\n'
  }));
})();
