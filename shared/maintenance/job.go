package maintenance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/mediaspecs/catalogue/shared/funchost"
	"github.com/mediaspecs/catalogue/shared/telemetry"
)

// Step is one maintenance step. Each runs under its own timeout, so one stuck
// step cannot eat the others' time, and a failed step does not skip the rest.
type Step struct {
	Name    string
	Timeout time.Duration
	Run     func(ctx context.Context) (result any, err error)
}

// Locker hands out named, expiring leases (cosmos.Leases).
type Locker interface {
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (release func(context.Context) error, err error)
}

// ReportWriter stores a job report (blob storage in production).
type ReportWriter interface {
	WriteReport(ctx context.Context, name string, body []byte) error
}

// Job runs the steps under a lease and writes a report.
type Job struct {
	Name     string // also the lease name
	Steps    []Step
	Leases   Locker
	LeaseTTL time.Duration
	Reports  ReportWriter
	Logger   *slog.Logger
}

// StepReport is the outcome of one step.
type StepReport struct {
	Name     string        `json:"name"`
	OK       bool          `json:"ok"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	Result   any           `json:"result,omitempty"`
}

// JobReport is the outcome of one run.
type JobReport struct {
	Job       string        `json:"job"`
	Owner     string        `json:"owner"`
	Trigger   string        `json:"trigger"`
	StartedAt time.Time     `json:"startedAt"`
	Duration  time.Duration `json:"duration"`
	OK        bool          `json:"ok"`
	Steps     []StepReport  `json:"steps"`
}

// Run takes the lease, runs every step, writes the report, and returns the
// steps' errors joined (nil when all succeeded). A held lease fails the run
// at once: two runs never overlap.
func (j *Job) Run(ctx context.Context, trigger string) (rep JobReport, err error) {
	return j.RunSteps(ctx, trigger, nil)
}

// RunSteps is Run limited to the named steps, in the job's order (nil: all
// of them). The names must be the job's (StepNames); Runs checks them before
// a request is queued.
func (j *Job) RunSteps(ctx context.Context, trigger string, only []string) (rep JobReport, err error) {
	host, _ := os.Hostname()
	rep = JobReport{Job: j.Name, Owner: fmt.Sprintf("%s/%d", host, os.Getpid()), Trigger: trigger, StartedAt: time.Now().UTC()}
	release, err := j.Leases.Acquire(ctx, j.Name, rep.Owner, j.LeaseTTL)
	if err != nil {
		return rep, fmt.Errorf("%s: lease: %w", j.Name, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := release(rctx); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	ctx = withLogger(ctx, j.Logger)
	var errs []error
	for _, s := range j.Steps {
		if only != nil && !slices.Contains(only, s.Name) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, s.Timeout)
		start := time.Now()
		result, serr := s.Run(sctx)
		cancel()
		sr := StepReport{Name: s.Name, OK: serr == nil, Duration: time.Since(start), Result: result}
		if serr != nil {
			sr.Error = serr.Error()
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, serr))
			j.Logger.ErrorContext(ctx, "maintenance step failed", slog.String("job", j.Name), slog.String("step", s.Name), slog.String("error", serr.Error()))
		} else {
			j.Logger.InfoContext(ctx, "maintenance step done", slog.String("job", j.Name), slog.String("step", s.Name), slog.Duration("duration", sr.Duration))
		}
		rep.Steps = append(rep.Steps, sr)
	}
	rep.Duration = time.Since(rep.StartedAt)
	rep.OK = len(errs) == 0
	body, _ := json.MarshalIndent(rep, "", "  ")
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("%s/%s.json", rep.StartedAt.Format("2006-01-02"), rep.StartedAt.Format("150405"))
	if werr := j.Reports.WriteReport(wctx, name, body); werr != nil {
		errs = append(errs, fmt.Errorf("writing the report: %w", werr))
	}
	return rep, errors.Join(errs...)
}

// StepNames lists the job's steps in order.
func (j *Job) StepNames() []string {
	names := make([]string, len(j.Steps))
	for i, s := range j.Steps {
		names[i] = s.Name
	}
	return names
}

// Func is the timer function body (NightlyMaintenance). IsPastDue only changes
// the trigger recorded: a late run is still a run.
func (j *Job) Func(ctx context.Context, inv *funchost.Invocation) (*funchost.InvokeResponse, error) {
	trigger := "timer"
	if ti, err := inv.Timer("timer"); err == nil && ti.IsPastDue {
		trigger = "timer (past due)"
	}
	rep, err := j.forInvocation(inv).Run(ctx, trigger)
	// The nightly job's outcome and last-success time (its alert and panels).
	telemetry.RecordJobRun(ctx, j.Name, len(rep.Steps), err)
	if err != nil {
		return nil, err
	}
	return &funchost.InvokeResponse{Logs: []string{fmt.Sprintf("%s: %d steps ok in %s", j.Name, len(rep.Steps), rep.Duration.Round(time.Millisecond))}}, nil
}

// forInvocation is j logging through the invocation's logger, so every line
// of the run (the steps' too, through the context) carries the function,
// the invocation id and the trace.
func (j *Job) forInvocation(inv *funchost.Invocation) *Job {
	if inv == nil || inv.Logger == nil {
		return j
	}
	jj := *j
	jj.Logger = inv.Logger
	return &jj
}

type loggerKey struct{}

// withLogger makes l the logger of the steps run under ctx.
func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	if l == nil {
		return ctx
	}
	return context.WithValue(ctx, loggerKey{}, l)
}

// loggerFrom is the run's logger (withLogger), else fallback.
func loggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}
