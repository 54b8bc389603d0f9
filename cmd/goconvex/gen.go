package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/codegen"
	"github.com/goconvex/convex/funcspec"
)

// Environment variables of gen's deployment key, as the convex CLI reads
// them.
const (
	envDeployKey = "CONVEX_DEPLOY_KEY"
	envAdminKey  = "CONVEX_ADMIN_KEY"
)

// apiSpecQuery is the system query that serves the function spec to an
// admin or deploy key (npm-packages/system-udfs/convex/_system/cli/
// modules.ts in get-convex/convex-backend).
const apiSpecQuery = "_system/cli/modules:apiSpec"

// cmdGen writes the typed Go package of a deployment's functions, from a
// spec file (npx convex function-spec > spec.json) or from the
// deployment itself; --check only compares.
func cmdGen(a *app, fs *flag.FlagSet, args []string) error {
	specFile := fs.String("spec", "", "the function spec, as `npx convex function-spec` prints it (default: fetch it from --convex-url with an admin or deploy key)")
	outDir := fs.String("o", "convexapi", "the directory of the generated package")
	pkg := fs.String("package", "", "the Go package name (default: the directory's base name)")
	internal := fs.Bool("internal", false, "include internal functions (callable with an admin key only)")
	check := fs.Bool("check", false, "write nothing; fail when the generated package is stale")
	adminKey := fs.String("admin-key", "", "admin or deploy key for fetching the spec (default $"+envDeployKey+", then $"+envAdminKey+"; not sent to a deployment named only by a dotenv file without it)")
	if _, err := a.parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	name := *pkg
	if name == "" {
		name = filepath.Base(filepath.Clean(*outDir))
	}
	spec, source, err := a.loadSpec(*specFile, *adminKey)
	if err != nil {
		return err
	}
	src, err := codegen.Generate(spec, codegen.Options{Package: name, Internal: *internal})
	if err != nil {
		return err
	}
	path := filepath.Join(*outDir, codegen.FileName)
	if *check {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		stale := !bytes.Equal(old, src)
		if stale {
			a.out(map[string]any{"file": path, "stale": true, "spec": source},
				fmt.Sprintf("%s is stale: run goconvex gen again (spec: %s)\n", path, source))
			return &exitError{exitFailure, fmt.Errorf("%s is stale", path)}
		}
		a.out(map[string]any{"file": path, "stale": false, "spec": source}, fmt.Sprintf("%s is up to date.\n", path))
		return nil
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return err
	}
	a.out(map[string]any{"file": path, "package": name, "spec": source}, fmt.Sprintf("Wrote %s (package %s) from %s.\n", path, name, source))
	return nil
}

// loadSpec reads the spec file, or fetches the spec from the deployment
// with an admin or deploy key (keyFlag, else the environment's; see
// specKey). source names where it came from.
func (a *app) loadSpec(file, keyFlag string) (spec *funcspec.Spec, source string, err error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, "", err
		}
		spec, err := funcspec.Parse(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", file, err)
		}
		return spec, file, nil
	}
	if err := a.needConvexURL(); err != nil {
		return nil, "", usageError{"gen needs --spec FILE, or a deployment (--convex-url or CONVEX_URL) and its admin or deploy key"}
	}
	key, err := a.specKey(keyFlag)
	if err != nil {
		return nil, "", usageError{err.Error()}
	}
	if key == "" {
		return nil, "", usageError{"fetching the function spec needs an admin or deploy key: set " + envDeployKey + " or pass --admin-key (or pass --spec FILE)"}
	}
	spec, err = a.fetchSpec(key)
	if err != nil {
		return nil, "", err
	}
	return spec, a.cfg.ConvexURL, nil
}

// fetchSpec runs the apiSpec system query on the deployment with an admin
// or deploy key, and caches the spec for run and watch.
func (a *app) fetchSpec(key string) (*funcspec.Spec, error) {
	hc, err := client.NewHTTPClient(a.cfg.ConvexURL)
	if err != nil {
		return nil, err
	}
	if err := hc.SetAdminAuth(key, nil); err != nil {
		return nil, err
	}
	ctx := a.cmdCtx
	var raw values.Raw
	stop := spin(a.stderr, "Fetching the function spec…")
	err = hc.Query(ctx, apiSpecQuery, nil, &raw)
	stop()
	if err != nil {
		return nil, fmt.Errorf("fetching the function spec from %s: %w", a.cfg.ConvexURL, err)
	}
	// The query answers in Convex JSON; the spec's literals are in that
	// form already (functionSpec.ts writes convexToJson of the answer).
	spec, err := funcspec.Parse(raw)
	if err != nil {
		return nil, err
	}
	spec.URL = a.cfg.ConvexURL
	writeSpecCache(a.cfg.ConvexURL, spec)
	return spec, nil
}
