package ingest

import (
	"encoding/json"
	"slices"
	"strings"
)

// flattenRecord turns one JSON object or XML record into rows.
//
// Nested objects become dotted names ("publisher.name"). An array of
// scalars becomes one value joined with "|". An array of objects fans out:
// row i carries element i of every such array (named "adProducts.price",
// …) plus all the record's scalar fields, so each row still has the title
// key. A record without arrays of objects is one row.
func flattenRecord(v map[string]any, num int) []Row {
	var names, vals []string
	fans := map[string][]any{}
	flattenInto("", v, &names, &vals, fans)
	n := 1
	for _, arr := range fans {
		n = max(n, len(arr))
	}
	rows := make([]Row, n)
	keys := make([]string, 0, len(fans))
	for k := range fans {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i := range rows {
		rn, rv := slices.Clone(names), slices.Clone(vals)
		for _, k := range keys {
			if i < len(fans[k]) {
				if m, ok := fans[k][i].(map[string]any); ok {
					flattenInto(k+".", m, &rn, &rv, nil)
				}
			}
		}
		rows[i] = Row{Num: num, Names: rn, Values: rv}
	}
	return rows
}

func flattenInto(prefix string, m map[string]any, names, vals *[]string, fans map[string][]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := prefix + k
		switch x := m[k].(type) {
		case map[string]any:
			flattenInto(name+".", x, names, vals, fans)
		case []any:
			if fans != nil && len(x) > 0 && allObjects(x) {
				fans[name] = x
				continue
			}
			parts := make([]string, 0, len(x))
			for _, e := range x {
				parts = append(parts, scalar(e))
			}
			*names = append(*names, name)
			*vals = append(*vals, strings.Join(parts, "|"))
		default:
			*names = append(*names, name)
			*vals = append(*vals, scalar(x))
		}
	}
}

func allObjects(x []any) bool {
	for _, e := range x {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
