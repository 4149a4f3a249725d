// Drives PostHog's MCP agent toolkit as an agent's MCP server does: a toolkit built from only a
// base URL and a personal API key, its tools listed through getToolsFromContext (which reads the
// key's own scopes from /api/personal_api_keys/@current), each tool's input parsed by its own
// schema and its handler run. Prints one JSON object: {offered, results: {tool: {ok, data|error}}}.
import { PostHogAgentToolkit, getToolsFromContext } from "@posthog/agent-toolkit";

const toolkit = new PostHogAgentToolkit({
  posthogApiToken: process.env.POSTHOG_API_KEY,
  posthogApiBaseUrl: process.env.POSTHOG_BASE_URL,
});
const context = toolkit.getContext();
const tools = await getToolsFromContext(context);
const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
const results = {};

// `label` keeps a second call of the same tool (other parameters) apart in the results.
async function call(name, params, label = name) {
  const tool = byName[name];
  if (!tool) {
    results[label] = { ok: false, error: "tool not offered" };
    return null;
  }
  try {
    const output = await tool.handler(context, tool.schema.parse(params));
    const text = output.content[0].text;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    results[label] = { ok: true, data };
    return data;
  } catch (error) {
    results[label] = { ok: false, error: String(error?.message ?? error) };
    return null;
  }
}

const query = {
  kind: "InsightVizNode",
  source: {
    kind: "TrendsQuery",
    series: [{ kind: "EventsNode", event: "$pageview", custom_name: "Views" }],
    dateRange: { date_from: "-7d" },
  },
};

await call("projects-get", {});
await call("event-definitions-list", {});
await call("event-definitions-list", { q: "sign" }, "event-definitions-list q");
await call("properties-list", { type: "event", eventName: "$pageview" });
await call("properties-list", { type: "event", eventName: "$pageview", includePredefinedProperties: true },
  "properties-list predefined");
await call("query-run", { query });
const breakdown = {
  kind: "InsightVizNode",
  source: {
    ...query.source,
    interval: "day",
    breakdownFilter: { breakdown: "plan", breakdown_type: "event" },
    trendsFilter: { display: "ActionsBar" },
  },
};
await call("query-run", { query: breakdown }, "query-run breakdown");
const insight = await call("insight-create-from-query", {
  data: { name: "Toolkit views", description: "Made by the toolkit", query, favorited: false, tags: ["mcp"] },
});
await call("insights-get-all", {});
await call("insights-get-all", { data: { search: "toolkit", limit: 10 } }, "insights-get-all search");
if (insight) {
  await call("insight-get", { insightId: String(insight.id) });
  await call("insight-get", { insightId: insight.short_id }, "insight-get short_id");
  await call("insight-query", { insightId: insight.short_id });
  await call("insight-update", { insightId: String(insight.id), data: { name: "Toolkit views, renamed", query } });
}
const dashboard = await call("dashboard-create", {
  data: { name: "Toolkit board", description: "Made by the toolkit", pinned: true, tags: ["mcp"] },
});
await call("dashboards-get-all", {});
await call("dashboards-get-all", { data: { search: "nothing like it", limit: 5, offset: 0 } }, "dashboards-get-all search");
if (dashboard && insight) {
  await call("add-insight-to-dashboard", { data: { insightId: String(insight.id), dashboardId: dashboard.id } });
  await call("dashboard-get", { dashboardId: dashboard.id });
  await call("dashboard-update", { dashboardId: dashboard.id, data: { name: "Toolkit board, renamed" } });
  await call("insight-delete", { insightId: String(insight.id) });
  await call("dashboard-delete", { dashboardId: dashboard.id });
}

process.stdout.write(JSON.stringify({ offered: tools.map((tool) => tool.name).sort(), results }));
