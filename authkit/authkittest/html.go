package authkittest

import (
	"bytes"
	"html/template"
	"net/http"
)

// pageHead opens every page the issuer renders. Its look follows the
// example chat app (examples/vite/src/styles.css: the same palette, light
// and dark, type and controls), so that the dev stack's sign-in reads as
// one product: a card with the form, a badge saying it is the local stack.
const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{.Title}}</title>
<style>
:root{--bg:#f7f7f8;--panel:#ffffff;--text:#1d1d1f;--muted:#5f6368;--border:#dadce0;--accent:#3b5bdb;--accent-text:#ffffff;--error:#b3261e;--banner:#fff4d6;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;color:var(--text);background:var(--bg)}
@media (prefers-color-scheme:dark){:root{--bg:#16171a;--panel:#1f2024;--text:#e8e8ea;--muted:#a3a6ad;--border:#3a3c42;--accent:#7b93ff;--accent-text:#0c0d10;--error:#ff8a80;--banner:#3d3420}}
*{box-sizing:border-box}
body{margin:0;min-height:100dvh;display:flex;align-items:flex-start;justify-content:center;padding:max(2rem,8vh) 1rem 2rem}
main{width:100%;max-width:24rem;background:var(--panel);border:1px solid var(--border);border-radius:.75rem;padding:1.5rem}
.brand{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .5rem;margin:0 0 1rem;font-weight:600}
.badge{padding:.1rem .45rem;border:1px solid var(--border);border-radius:999px;color:var(--muted);font-size:.75rem;font-weight:normal;white-space:nowrap}
h1{margin:0 0 .75rem;font-size:1.3rem;line-height:1.25}
p{margin:.5rem 0}
label{display:block;margin:.9rem 0 .3rem;font-size:.9rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.55rem .7rem;border:1px solid var(--border);border-radius:.5rem;background:var(--bg);color:inherit;font:inherit}
#user_code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.12em;text-transform:uppercase}
.buttons{margin-top:1.25rem;display:flex;flex-wrap:wrap;gap:.5rem}
button{flex:1;padding:.55rem 1rem;border:1px solid var(--accent);border-radius:.5rem;background:var(--accent);color:var(--accent-text);font:inherit;cursor:pointer}
button[value=deny]{background:transparent;color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{margin:0 0 .75rem;padding:.5rem .75rem;border-radius:.5rem;color:var(--error);border:1px solid var(--error)}
.hint{margin-top:1.25rem;padding:.5rem .75rem;border-radius:.5rem;background:var(--banner);color:var(--text);font-size:.85rem}
</style></head><body><main>
<p class="brand">goconvex chat <span class="badge" title="A WorkOS stand-in on loopback (authkittest)">local dev stack</span></p>
<h1>{{.Title}}</h1>`

// pageFoot closes what pageHead opened.
const pageFoot = `</main></body></html>`

var (
	pageTmpl = template.Must(template.New("page").Parse(pageHead + `<p>{{.Message}}</p>` + pageFoot))

	loginTmpl = template.Must(template.New("login").Parse(pageHead + `
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/user_management/authorize">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="{{.Email}}" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<div class="buttons"><button type="submit" name="action" value="approve">{{.Submit}}</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button></div>
</form>
{{if .Users}}<p class="hint">Users: {{range $i, $u := .Users}}{{if $i}}, {{end}}{{$u}}{{end}}</p>{{end}}
` + pageFoot))

	deviceTmpl = template.Must(template.New("device").Parse(pageHead + `
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<p>Confirm the code shown on your device, then sign in to approve it.</p>
<form method="post" action="/device">
<label for="user_code">Code</label><input id="user_code" name="user_code" type="text" value="{{.UserCode}}" autocomplete="off" required>
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="{{.Email}}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<div class="buttons"><button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button></div>
</form>
{{if .Users}}<p class="hint">Users: {{range $i, $u := .Users}}{{if $i}}, {{end}}{{$u}}{{end}}</p>{{end}}
` + pageFoot))
)

type hiddenField struct{ Name, Value string }

type formData struct {
	Title    string
	Error    string
	Email    string
	Submit   string
	Hidden   []hiddenField
	UserCode string
	Users    []string
}

func renderTemplate(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderPage writes a page with a title and one message.
func renderPage(w http.ResponseWriter, status int, title, message string) {
	renderTemplate(w, status, pageTmpl, struct{ Title, Message string }{title, message})
}

// userHints lists the sign-in emails (with their passwords: these are
// throwaway test users) for the forms.
func (s *Server) userHints() []string {
	var out []string
	for _, u := range s.cfg.users {
		h := u.Email
		if u.Password != "" {
			h += " / " + u.Password
		}
		out = append(out, h)
	}
	return out
}
