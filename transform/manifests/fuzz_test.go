package manifests

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// FuzzParse checks, on any input, that Parse returns (no panic, no hang), leaves its input
// alone, and agrees with kubectl's reader: a single document it accepts has exactly the value
// sigs.k8s.io/yaml gives it, and a document kubectl's strict reader rejects for a duplicate
// key is never accepted (the oracle matches go-yaml's message text: it is a test of a
// third-party reader, not error classification in the code under test).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"kind: A\nmetadata: {name: a}\n",
		"kind: A\ndata: {y: \"1\", yes: \"2\"}\n",
		"kind: A\nn: 0x10\nf: 1.0\nb: on\nt: 2024-01-02\n",
		"a: &x {b: 1}\nc: *x\nd: {<<: *x, b: 2}\n",
		"apiVersion: v1\nkind: List\nitems:\n- {kind: A}\n- kind: B\n",
		"---\n...\n--- # c\nkind: A\n",
		"kind: A\n1: a\n'1': b\n",
		"- a\n",
		"a: |\n  ---\n  b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		docs, warns, err := Parse("f", data)
		require.Equal(t, in, data, "Parse must not modify its input")
		for _, w := range warns {
			assert.Positive(t, w.Line)
		}
		for _, d := range docs {
			assert.NotNil(t, d.Object)
			assert.Positive(t, d.Line)
		}
		single := !bytes.Contains(data, []byte("\n---")) && !bytes.HasPrefix(data, []byte("---")) &&
			!bytes.Contains(data, []byte("\n...")) && !bytes.HasPrefix(data, []byte("...")) &&
			!bytes.Contains(data, []byte("\r"))
		if !single {
			return
		}
		js, kerr := yaml.YAMLToJSON(data)
		if kerr != nil {
			require.Error(t, err, "kubectl's reader rejects it, so must Parse")
			return
		}
		// go-yaml v2's strict mode also rejects a key overriding a merged one (`<<`), which is
		// YAML's merge semantics, not a duplicate: the oracle skips documents with merges.
		_, serr := yaml.YAMLToJSONStrict(data)
		if serr != nil && strings.Contains(serr.Error(), "already set in map") && !bytes.Contains(data, []byte("<<")) {
			require.Error(t, err, "a duplicate key must not be accepted: %v", serr)
		}
		if err != nil || len(docs) != 1 || docs[0].Items != nil {
			return
		}
		var want map[string]any
		require.NoError(t, utiljson.Unmarshal(js, &want))
		assert.Equal(t, want, docs[0].Object, "the value must be what kubectl's reader makes of it")
	})
}
