// Package validate checks rendered objects against the schema of their kind, so that a rule
// that writes `"3"` into a Deployment's spec.replicas fails that (object, WEC) pair offline,
// with the field path, what the schema expected and the rule or template that wrote the value,
// instead of failing later when the WEC's agent applies it.
//
// # Schemas
//
// Built-in kinds are checked against the schemas client-go ships (no API server needed);
// custom kinds against the openAPIV3Schema of their CustomResourceDefinitions
// ([Options.CRDs]). The check covers types and declared fields: a string where a number
// belongs, a field the schema does not declare, a list where a map belongs. Value constraints
// (formats, enums, ranges, patterns, CEL validation rules) are not checked: only an API
// server enforces them. Kinds without a schema are not checked ([ErrNoSchema]); callers say so
// once per kind and never fail them.
//
// # Using it
//
// [Validator.Result] validates one rendered pair after [transform.Pipeline.Render] and returns
// the pair's failure; [Validator.Stage] is the same check as a last per-WEC pipeline stage.
// Violations are attributed to the last change of the render's trace that wrote the field or
// one of its ancestors ([Violation.By]).
//
// # Dependencies
//
// This package imports client-go's schemas and kube-openapi, which the rest of wecforge does
// not: importing transform, rules, customization or engine never pulls them in.
//
// # Concurrency
//
// A [Validator] is immutable and safe for concurrent use.
package validate
