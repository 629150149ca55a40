// Starts GraphiQL on the playground page. This lives in its own file, not inline in the page,
// so that the page's Content-Security-Policy can forbid inline scripts altogether. It uses the
// globals of the vendored UMD builds: React, ReactDOM, GraphiQL and graphqlWs.
(function () {
  'use strict';

  // The example operation a first-time visitor sees: it touches the main parts of the graph,
  // so that pressing run once shows what the API is about.
  var defaultQuery = [
    '# Welcome to leap-graphql: the world of the 2020 film Leap (\u593a\u51a0).',
    '# Press the run button (or Ctrl-Enter) to run this query.',
    'query FilmPage($slug: String! = "leap") {',
    '  film(slug: $slug) {',
    '    title',
    '    originalTitle',
    '    runtimeMinutes',
    '    directors { name }',
    '    cast(first: 5) { edges { character node { name } } }',
    '    soundtrack { title tracks(first: 3) { nodes { number title duration } } }',
    '  }',
    '}',
    ''
  ].join('\n');

  var root = document.getElementById('graphiql');
  // A root-relative URL keeps the playground working whatever host and port serve it.
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';

  // Subscriptions go over graphql-ws to the same URL, as ws:// or wss:// after the page's own
  // scheme. The client is lazy: it opens the socket only when a subscription runs.
  var socketUrl = new URL(endpoint, window.location.href);
  socketUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  var wsClient = graphqlWs.createClient({ url: socketUrl.href, lazy: true });

  var send = GraphiQL.createFetcher({ url: endpoint, wsClient: wsClient });

  // Lists the operations a GraphQL document defines, in order: each one's name, or null for
  // an anonymous one. It reads only the top level (keywords, names and braces outside
  // strings and comments), which is all it takes to know which operations exist.
  function operationsIn(document) {
    var token = /#[^\n\r]*|"""[\s\S]*?(?:"""|$)|"(?:[^"\\\n\r]|\\.)*"?|[_A-Za-z][_0-9A-Za-z]*|[^\s,]/g;
    var isName = /^[_A-Za-z]/;
    var operations = [];
    var depth = 0;
    // 'between' definitions; after an operation 'keyword'; inside a 'definition' before its body.
    var state = 'between';
    var match;
    while ((match = token.exec(document)) !== null) {
      var text = match[0];
      if (text[0] === '#' || text[0] === '"') continue;
      if (depth === 0 && state === 'keyword') {
        operations.push(isName.test(text) ? text : null);
        state = 'definition';
        if (isName.test(text)) continue;
      }
      if (text === '{' || text === '(' || text === '[') {
        if (depth === 0 && text === '{') {
          // A selection set that no keyword opened is the anonymous query shorthand.
          if (state === 'between') operations.push(null);
          state = 'between';
        }
        depth += 1;
      } else if (text === '}' || text === ')' || text === ']') {
        depth = Math.max(0, depth - 1);
      } else if (depth === 0 && state === 'between') {
        if (text === 'query' || text === 'mutation' || text === 'subscription') state = 'keyword';
        else if (text === 'fragment') state = 'definition';
      }
    }
    return operations;
  }

  // GraphiQL sends the operation name it last stored, which can belong to an earlier document:
  // it keeps the name in its saved tabs across visits, and learns the new one only after a
  // debounce. So the request carries the name only when the document being sent defines it;
  // otherwise the one operation the document has, or none (and the server then says that a
  // document with several operations needs a name, which is true).
  function withCurrentOperationName(params) {
    var operations = operationsIn(params.query || '');
    if (params.operationName && operations.indexOf(params.operationName) !== -1) return params;
    var current = Object.assign({}, params);
    delete current.operationName;
    if (operations.length === 1 && operations[0]) current.operationName = operations[0];
    return current;
  }

  function fetcher(params, options) {
    return send(withCurrentOperationName(params), options);
  }

  // Mounted once. The documentation pane starts closed (GraphiQL's default): its `visiblePlugin`
  // prop takes effect only after the first layout (GraphiQL issue #3015), and the book icon in
  // the sidebar opens the pane, which GraphiQL then remembers.
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery })
  );
})();
