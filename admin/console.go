package admin

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
)

// static is the page: plain HTML, CSS and JavaScript, nothing fetched from
// elsewhere.
//
//go:embed console
var static embed.FS

// contentTypes of the embedded files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
}

// csp lets the page run its own script and style only, talk to its own
// origin only, and be framed by nobody.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ConsoleHandler returns Console as a fasthttp handler
// (metrics.Server.Console).
func (a *Admin) ConsoleHandler() fasthttp.RequestHandler { return a.Console }

// Console serves /console, /console/ and its files, and
// /console/api/state. metrics.Server applies http.metrics_allow_ips first.
func (a *Admin) Console(ctx *fasthttp.RequestCtx) {
	p := string(ctx.Path())
	if m := string(ctx.Method()); m != fasthttp.MethodGet && m != fasthttp.MethodHead {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		api.WriteError(ctx, api.Refusal("method_not_allowed", "the console is read with GET; actions go to /admin/v1/"))
		return
	}
	h := &ctx.Response.Header
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch p {
	case "/console":
		ctx.Redirect("/console/", fasthttp.StatusMovedPermanently)
		return
	case "/console/api/state":
		api.WriteJSON(ctx, http.StatusOK, a.state())
		return
	case "/console/":
		p = "/console/index.html"
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	body, err := fs.ReadFile(static, name)
	ct, known := contentTypes[path.Ext(name)]
	if err != nil || !known || !strings.HasPrefix(name, "console/") {
		api.WriteError(ctx, api.Refusal("not_found", "no such console file"))
		return
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-cache")
	ctx.SetContentType(ct)
	ctx.SetBody(body)
}
