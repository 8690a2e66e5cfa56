// Drives Buddy's official Node client (npm buddyworksapi, Apache-2.0) against the simulator; prints one JSON object.
//
//   node buddy_node_client.js <node_modules dir> '<json config>'
//
// config: {"host": "<sim>/buddy", "token": "...", "workspace": "...", "project": "...", "pipeline_id": 2}
// The client builds every URL as client.host + path (lib/client.js createUrl), so pointing client.host at
// the simulator's base URL is all it takes. Each step records what the client handed back (or its error).
'use strict';

const path = require('path');

const modules = process.argv[2];
const config = JSON.parse(process.argv[3]);
const api = require(path.join(modules, 'buddyworksapi'));

api.client.host = config.host;

function step(name, fn) {
  return new Promise((resolve) => {
    fn((err, json) => {
      if (err) {
        resolve({ name, error: { message: err.message, code: err.code || null, messages: err.messages || null } });
      } else {
        resolve({ name, result: json });
      }
    });
  });
}

async function main() {
  const { token, workspace, project } = config;
  const pipelineId = config.pipeline_id;
  const out = { host: api.client.host, steps: {} };
  const record = (entry) => {
    out.steps[entry.name] = entry.error ? { error: entry.error } : entry.result;
    return entry;
  };
  record(await step('pipelines', (done) => api.pipelines.getList(token, workspace, project, { page: 1, per_page: 20 }, done)));
  record(await step('pipeline', (done) => api.pipelines.getPipeline(token, workspace, project, pipelineId, done)));
  const run = record(await step('run', (done) => api.executions.runExecution(token, workspace, project, pipelineId,
    { to_revision: { revision: 'HEAD' }, comment: 'from buddyworksapi' }, done)));
  if (!run.error) {
    const id = run.result.id;
    record(await step('get', (done) => api.executions.getExecution(token, workspace, project, pipelineId, id, done)));
    record(await step('list', (done) => api.executions.getList(token, workspace, project, pipelineId, { page: 1, per_page: 10 }, done)));
    record(await step('cancel', (done) => api.executions.cancelOrRetryExecution(token, workspace, project, pipelineId, id, 'CANCEL', done)));
    record(await step('retry', (done) => api.executions.retryExecution(token, workspace, project, pipelineId, id, done)));
    record(await step('cancel_again', (done) => api.executions.cancelExecution(token, workspace, project, pipelineId, id, done)));
    // A refused operation: the client turns Buddy's {"errors":[{"message"}]} into err.message / err.code.
    record(await step('cancel_finished', (done) => api.executions.cancelExecution(token, workspace, project, pipelineId, id, done)));
  }
  record(await step('missing', (done) => api.executions.getExecution(token, workspace, project, pipelineId, 999, done)));
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ fatal: String(err && err.stack ? err.stack : err) }));
  process.exitCode = 1;
});
