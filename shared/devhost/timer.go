package devhost

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/mediaspecs/catalogue/shared/funcdef"
)

// cronParser reads NCRONTAB expressions: six fields, {second} {minute}
// {hour} {day} {month} {day-of-week}, evaluated in UTC (functions-protocol.md
// §5 timerTrigger).
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// timerTrigger is one timer function's schedule and monitor state.
type timerTrigger struct {
	spec         string
	schedule     cron.Schedule
	runOnStartup bool

	running sync.Mutex // held while an occurrence runs: runs never overlap

	mu     sync.Mutex
	status *scheduleStatus // nil until the first scheduled run completed
}

func newTimerTrigger(fn *function) (*timerTrigger, error) {
	spec := strings.TrimSpace(fn.trigger.Schedule)
	sched, err := parseSchedule(spec)
	if err != nil {
		return nil, err
	}
	t := &timerTrigger{spec: spec, schedule: sched}
	if fn.extra.RunOnStartup != nil {
		t.runOnStartup = *fn.extra.RunOnStartup
	}
	return t, nil
}

// parseSchedule parses a six-field NCRONTAB expression, or a TimeSpan
// ("hh:mm:ss", honoured by the host on App Service plans only) as a fixed
// interval.
func parseSchedule(spec string) (cron.Schedule, error) {
	if !strings.ContainsAny(spec, " \t") && strings.Count(spec, ":") == 2 {
		d, err := funcdef.ParseDuration(spec)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("timer schedule %q: bad TimeSpan", spec)
		}
		return cron.Every(d), nil
	}
	if n := len(strings.Fields(spec)); n != 6 {
		return nil, fmt.Errorf("timer schedule %q: NCRONTAB needs six fields ({second} {minute} {hour} {day} {month} {day-of-week}), got %d", spec, n)
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("timer schedule %q: %w", spec, err)
	}
	return s, nil
}

// startTimers schedules every timer function and runs the runOnStartup
// ones once now. The returned stop function stops scheduling; its context
// is done when running occurrences have finished.
func (h *Host) startTimers(ctx context.Context) (stop func() context.Context) {
	c := cron.New(cron.WithLocation(time.UTC), cron.WithParser(cronParser))
	for _, fn := range h.funcs {
		if fn.timer == nil {
			continue
		}
		c.Schedule(fn.timer.schedule, cron.FuncJob(func() { h.fireTimer(ctx, fn, "timer") }))
		h.log.Info("timer scheduled", slog.String("function", fn.name), slog.String("schedule", fn.timer.spec),
			slog.Time("next", fn.timer.schedule.Next(time.Now().UTC())))
		if fn.timer.runOnStartup {
			h.inflight.Add(1)
			go func() {
				defer h.inflight.Done()
				h.fireTimer(ctx, fn, "timer/runOnStartup")
			}()
		}
	}
	c.Start()
	return c.Stop
}

// fireTimer runs one occurrence (TimerListener.InvokeJobFunction): the
// function gets the schedule status recorded after the previous run
// (null before the first one), and the status is then updated with this
// run: Last = now, Next = the following occurrence. An occurrence that
// comes while the previous one still runs is skipped, as the host's
// singleton lock does. The status lives in memory only: devhost has no
// schedule monitor store, so IsPastDue is always false.
func (h *Host) fireTimer(ctx context.Context, fn *function, trigger string) {
	t := fn.timer
	if !t.running.TryLock() {
		h.log.Warn("timer occurrence skipped: the previous one is still running", slog.String("function", fn.name))
		return
	}
	defer t.running.Unlock()
	t.mu.Lock()
	var status *scheduleStatus
	if t.status != nil {
		s := *t.status
		status = &s
	}
	t.mu.Unlock()

	ictx := context.WithoutCancel(ctx)
	inv := h.newInvocation(fn, trigger, "")
	body := timerEnvelope(fn.name, fn.trigger.Name, status, false, inv.start)
	res, code, err := h.invokeEnvelope(ictx, inv, body)
	if err == nil {
		err = h.writeOutputs(ictx, fn, res)
	}
	h.logDone(inv, code, err)

	now := time.Now()
	t.mu.Lock()
	t.status = &scheduleStatus{Last: inv.start, Next: t.schedule.Next(inv.start.UTC()), LastUpdated: now}
	t.mu.Unlock()
}
