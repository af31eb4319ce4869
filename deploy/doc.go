// Package deploy holds no code: it is the home of what operators deploy
// next to spsmg — the Grafana dashboard (grafana/spsmg-dashboard.json) and
// example Prometheus alert rules (prometheus/alerts.yml) — and of the test
// that keeps both well-formed and in step with the metrics spsmg exports.
//
// To change the dashboard: edit it in Grafana, export it "for sharing
// externally" (so the data source becomes the ${DS_PROMETHEUS} input),
// replace the file, describe any new panel in README.md ("Dashboard and alerts") and run
// go test ./deploy.
package deploy
