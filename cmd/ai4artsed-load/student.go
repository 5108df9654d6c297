package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/client"
)

// student is what one student of the class does: an interception run,
// then a generation run of its text with the student's output config.
type student struct {
	ID           string
	Prompt       string
	Interception string
	Output       string
}

// studentResult is how it went for one student.
type studentResult struct {
	// Image is the time from the student's first POST to the media event
	// of their image; zero when they got none (Err says why).
	Image time.Duration
	// Queued is the time their calls waited for a slot (LLM and image
	// queues, from the queue_status events).
	Queued time.Duration
	Err    string
}

// play runs one student's two runs through the public API.
func (s student) play(ctx context.Context, hc *http.Client, base string, class time.Time) studentResult {
	var res studentResult
	c := client.New(base, hc, client.WithClientID(s.ID))
	text, source, err := s.run(ctx, c, api.RunRequest{Stages: api.StagesInterception, Prompt: s.Prompt, Interception: s.Interception, Lang: "en"}, &res, class)
	if err != nil {
		res.Err = "interception: " + err.Error()
		return res
	}
	// The generation names its source run, as the web page does.
	if _, _, err := s.run(ctx, c, api.RunRequest{Stages: api.StagesGeneration, Text: text, Output: s.Output, Lang: "en", SourceRun: source}, &res, class); err != nil {
		res.Err = "generation: " + err.Error()
		return res
	}
	if res.Image == 0 {
		res.Err = "generation: done without an image"
	}
	return res
}

// run starts one run and follows it to its end. It returns the text of
// the run's last text event and the run's id; the media event's time goes
// into res.Image.
func (s student) run(ctx context.Context, c *client.Client, req api.RunRequest, res *studentResult, class time.Time) (string, string, error) {
	created, err := c.StartRun(ctx, req)
	if err != nil {
		return "", "", err
	}
	var text, failure string
	state := ""
	err = c.Follow(ctx, created.RunID, 0, func(e api.Event) error {
		p, err := e.Decode()
		if err != nil {
			return err
		}
		switch d := p.(type) {
		case api.QueueStatusEvent:
			if d.Status == api.QueueAcquired {
				res.Queued += time.Duration(d.WaitedMS) * time.Millisecond
			}
		case api.TextEvent:
			if e.Type == api.EventText {
				text = d.Text
			}
		case api.MediaEvent:
			res.Image = time.Since(class)
		case api.ErrorEvent:
			failure = string(d.Code)
		case api.DoneEvent:
			state = string(d.State)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if state != "done" {
		return "", "", fmt.Errorf("run ended %s %s", state, failure)
	}
	return text, created.RunID, nil
}
