package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/chat/chatapi"
)

// Bot answers chat commands: a message mentioning "!ping" gets "pong".
type Bot struct {
	c   *client.Client
	log *slog.Logger
	// Commands maps a command word to its reply.
	Commands map[string]string
}

// NewBot returns a bot on c, which should already have its auth set.
func NewBot(c *client.Client, log *slog.Logger) *Bot {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{c: c, log: log, Commands: map[string]string{
		"!ping": "pong",
		"!help": "I answer !ping with pong.",
	}}
}

// reply returns the answer to a message body, "" for none.
func (b *Bot) reply(body string) string {
	for _, w := range strings.Fields(body) {
		if r, ok := b.Commands[strings.ToLower(strings.TrimRight(w, ".,!?;:"))]; ok {
			return r
		}
		if r, ok := b.Commands[strings.ToLower(w)]; ok {
			return r
		}
	}
	return ""
}

// Run subscribes to messages:list and answers new messages until ctx
// ends. Messages present when it starts are history and get no answer.
// The client reconnects by itself (a deployment restart, a network
// outage): the subscription resumes and the messages seen stay seen, so
// nothing is answered twice.
func (b *Bot) Run(ctx context.Context) error {
	sub, err := client.SubscribeTo(ctx, b.c, chatapi.Messages.List, chatapi.MessagesListArgs{})
	if err != nil {
		return err
	}
	defer sub.Close()
	var seen map[chatapi.MessagesID]bool // nil until the first result
	for {
		msgs, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if fe, ok := errors.AsType[*client.FunctionError](err); ok {
				b.log.Warn("bot: messages:list failed", "err", fe.Message)
				continue
			}
			if _, ok := errors.AsType[*values.Error](err); ok {
				b.log.Warn("bot: unexpected messages:list result", "err", err)
				continue
			}
			return err
		}
		next := make(map[chatapi.MessagesID]bool, len(msgs))
		for _, m := range msgs {
			next[m.ID] = true
			if seen == nil || seen[m.ID] {
				continue
			}
			r := b.reply(m.Body)
			if r == "" {
				continue
			}
			b.log.Info("bot: answering", "author", m.Author, "message", m.ID)
			if _, err := client.RunMutation(ctx, b.c, chatapi.Messages.Send, chatapi.MessagesSendArgs{Body: r}); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				b.log.Error("bot: sending the answer failed", "err", err)
			}
		}
		if seen == nil {
			b.log.Info("bot: watching", "history", len(msgs))
		}
		// Only the latest window is remembered: a message that left it
		// never comes back.
		seen = next
	}
}
