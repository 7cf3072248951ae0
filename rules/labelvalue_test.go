package rules

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"
)

// isLabelValue must agree with apimachinery's validation on every string.
func TestIsLabelValueAgreesWithValidation(t *testing.T) {
	cases := []string{"", "a", "us-east", "a.b_c-d", "-a", "a-", "_a", "a_", ".a", "a.", "a b", "é",
		"A1", strings.Repeat("a", 63), strings.Repeat("a", 64), "a/b", "a:b", "0", "--"}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZ09-_./ é"
	for range 20000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		assert.Equal(t, len(validation.IsValidLabelValue(s)) == 0, isLabelValue(s), "%q", s)
	}
}
