package chatapi

// api.go is goconvex gen's output against the dev stack's deployment (the
// functions of internal/chat on convextest). This rewrites it, through
// cmd/goconvex's TestChatAPIIsFresh, which checks it in make test:
//go:generate go test ../../../cmd/goconvex -run ^TestChatAPIIsFresh$ -count=1 -update-chatapi
