// Starts GraphiQL on the playground page. This lives in its own file, not inline in the page,
// so that the page's Content-Security-Policy can forbid inline scripts altogether.
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

  var props = {
    fetcher: GraphiQL.createFetcher({ url: endpoint }),
    defaultQuery: defaultQuery,
    // Open the schema documentation beside the editor: it is the quickest way in.
    visiblePlugin: 'Documentation Explorer'
  };

  // GraphiQL 4.1 applies `visiblePlugin` in an effect, after its layout has already decided on
  // its first render that no plugin pane is shown, so the pane would stay collapsed (GraphiQL
  // issue #3015). The plugin state lives in a module-level store, so mounting GraphiQL a second
  // time, once that effect has run, lays the page out with the documentation pane open.
  function Playground() {
    var state = React.useState(false);
    var settled = state[0];
    var setSettled = state[1];
    // Runs after GraphiQL's own effects (a parent's effects run after its children's).
    React.useEffect(function () {
      setSettled(true);
    }, []);
    return React.createElement(GraphiQL, Object.assign({ key: settled ? 'settled' : 'first' }, props));
  }

  ReactDOM.createRoot(root).render(React.createElement(Playground));
})();
