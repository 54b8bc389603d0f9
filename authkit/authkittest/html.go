package authkittest

import (
	"bytes"
	"html/template"
	"net/http"
)

const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=password],input[type=text]{width:100%;padding:.5rem;box-sizing:border-box}
.buttons{margin-top:1.2rem;display:flex;gap:.5rem}button{padding:.5rem 1rem}.error{color:#b00020}.hint{color:#666;font-size:.9rem}
</style></head><body>
<h1>{{.Title}}</h1>`

var (
	pageTmpl = template.Must(template.New("page").Parse(pageHead + `<p>{{.Message}}</p></body></html>`))

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
</body></html>`))

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
</body></html>`))
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
