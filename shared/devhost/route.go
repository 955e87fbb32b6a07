package devhost

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// routeTemplate is an HTTP trigger's "route" from function.json, matched
// as ASP.NET Core routing matches it (the subset Functions apps use):
// literal segments (case-insensitive), {name}, {name?} (optional, trailing
// only), {name=default}, {*rest} (catch-all) and inline constraints such as
// {id:int}, {id:int?} or {code:length(3)}. A segment mixing literal text and
// parameters ("{name}.{ext}") is not supported and is rejected at startup.
type routeTemplate struct {
	raw  string
	segs []routeSegment
}

type routeSegment struct {
	literal     string // set for a literal segment
	param       string // set for a parameter
	constraints []string
	optional    bool
	catchAll    bool
	def         string // {name=default}
	hasDefault  bool
}

// parseRoute parses a route template such as "media/{id:int?}".
func parseRoute(t string) (*routeTemplate, error) {
	rt := &routeTemplate{raw: t}
	t = strings.Trim(t, "/")
	if t == "" {
		return rt, nil
	}
	for i, s := range strings.Split(t, "/") {
		if !strings.ContainsAny(s, "{}") {
			if s == "" {
				return nil, fmt.Errorf("route %q: empty segment", rt.raw)
			}
			rt.segs = append(rt.segs, routeSegment{literal: s})
			continue
		}
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || strings.Count(s, "{") != 1 {
			return nil, fmt.Errorf("route %q: segment %q mixes text and parameters (not supported by devhost)", rt.raw, s)
		}
		body := s[1 : len(s)-1]
		var seg routeSegment
		if strings.HasPrefix(body, "**") {
			seg.catchAll, body = true, body[2:]
		} else if strings.HasPrefix(body, "*") {
			seg.catchAll, body = true, body[1:]
		}
		if name, def, ok := strings.Cut(body, "="); ok {
			body, seg.def, seg.hasDefault = name, def, true
		}
		if strings.HasSuffix(body, "?") {
			seg.optional, body = true, strings.TrimSuffix(body, "?")
		}
		parts := splitConstraints(body)
		seg.param = parts[0]
		seg.constraints = parts[1:]
		if seg.param == "" {
			return nil, fmt.Errorf("route %q: parameter without a name", rt.raw)
		}
		for _, c := range seg.constraints {
			if err := checkConstraint(c); err != nil {
				return nil, fmt.Errorf("route %q: %w", rt.raw, err)
			}
		}
		if seg.catchAll && i != strings.Count(t, "/") {
			return nil, fmt.Errorf("route %q: a catch-all parameter must be the last segment", rt.raw)
		}
		rt.segs = append(rt.segs, seg)
	}
	// Optional parameters may only be followed by optional ones.
	for i := range rt.segs {
		if rt.segs[i].optional || rt.segs[i].hasDefault {
			for _, later := range rt.segs[i+1:] {
				if !later.optional && !later.hasDefault && !later.catchAll {
					return nil, fmt.Errorf("route %q: an optional parameter must be at the end", rt.raw)
				}
			}
		}
	}
	return rt, nil
}

// splitConstraints splits "id:int:min(1)" at colons outside parentheses.
func splitConstraints(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// match matches the path segments (already unescaped, route prefix
// removed) and returns the route values. A missing optional value is
// absent from the map; a default fills it in.
func (rt *routeTemplate) match(segs []string) (map[string]string, bool) {
	vals := map[string]string{}
	for i, seg := range rt.segs {
		if seg.catchAll {
			rest := strings.Join(segs[min(i, len(segs)):], "/")
			if rest != "" || seg.hasDefault {
				if rest == "" {
					rest = seg.def
				}
				vals[seg.param] = rest
			}
			return vals, true
		}
		if i >= len(segs) {
			switch {
			case seg.hasDefault:
				vals[seg.param] = seg.def
			case seg.optional:
			default:
				return nil, false
			}
			continue
		}
		v := segs[i]
		if seg.literal != "" {
			if !strings.EqualFold(seg.literal, v) {
				return nil, false
			}
			continue
		}
		if v == "" {
			return nil, false
		}
		for _, c := range seg.constraints {
			if !satisfies(c, v) {
				return nil, false
			}
		}
		vals[seg.param] = v
	}
	if len(segs) > len(rt.segs) {
		return nil, false
	}
	return vals, true
}

// rank orders routes the way ASP.NET route precedence does, most specific
// first: per segment, literal < constrained parameter < parameter <
// optional < catch-all.
func (rt *routeTemplate) rank() []int {
	r := make([]int, len(rt.segs))
	for i, s := range rt.segs {
		switch {
		case s.literal != "":
			r[i] = 1
		case s.catchAll:
			r[i] = 5
		case s.optional || s.hasDefault:
			r[i] = 4
		case len(s.constraints) > 0:
			r[i] = 2
		default:
			r[i] = 3
		}
	}
	return r
}

var guidRE = regexp.MustCompile(`^[{(]?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}[)}]?$`)

// checkConstraint rejects a constraint devhost does not know, so a typo
// fails at startup instead of silently matching everything.
func checkConstraint(c string) error {
	name, arg, _ := strings.Cut(c, "(")
	arg = strings.TrimSuffix(arg, ")")
	switch strings.ToLower(name) {
	case "int", "long", "bool", "guid", "alpha", "double", "float", "decimal", "datetime", "required":
		return nil
	case "min", "max", "minlength", "maxlength":
		_, err := strconv.ParseInt(arg, 10, 64)
		return err
	case "length", "range":
		for _, a := range strings.Split(arg, ",") {
			if _, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64); err != nil {
				return fmt.Errorf("constraint %q: %w", c, err)
			}
		}
		return nil
	case "regex":
		_, err := regexp.Compile(arg)
		return err
	}
	return fmt.Errorf("unknown route constraint %q", c)
}

// satisfies reports whether v meets constraint c (ASP.NET's inline
// constraints, invariant culture).
func satisfies(c, v string) bool {
	name, arg, _ := strings.Cut(c, "(")
	arg = strings.TrimSuffix(arg, ")")
	num := func(s string) int64 { n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64); return n }
	switch strings.ToLower(name) {
	case "int":
		_, err := strconv.ParseInt(v, 10, 32)
		return err == nil
	case "long":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case "bool":
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "guid":
		return guidRE.MatchString(v)
	case "alpha":
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
		return true
	case "double", "float", "decimal":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case "datetime":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02", "2006-01-02 15:04:05"} {
			if _, err := time.Parse(layout, v); err == nil {
				return true
			}
		}
		return false
	case "required":
		return v != ""
	case "min":
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n >= num(arg)
	case "max":
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n <= num(arg)
	case "range":
		lo, hi, _ := strings.Cut(arg, ",")
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n >= num(lo) && n <= num(hi)
	case "minlength":
		return len([]rune(v)) >= int(num(arg))
	case "maxlength":
		return len([]rune(v)) <= int(num(arg))
	case "length":
		l := int64(len([]rune(v)))
		if lo, hi, ok := strings.Cut(arg, ","); ok {
			return l >= num(lo) && l <= num(hi)
		}
		return l == num(arg)
	case "regex":
		re, err := regexp.Compile(arg)
		return err == nil && re.MatchString(v)
	}
	return false
}

// pathSegments splits an escaped URL path into unescaped segments.
func pathSegments(escaped string) ([]string, bool) {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil, true
	}
	parts := strings.Split(escaped, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}
