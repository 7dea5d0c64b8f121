// Command grading shows the rest of the Go SDK on a small pipeline: an
// If/Elif/Else whose branches' outputs meet again through OneOf, a nested
// pipeline with an artifact output, Concat and IfPresent placeholders, an
// optional input, retries, caching, resources, environment variables and
// After.
//
//	sluice compile ./examples/gosdk/grading -o grading.yaml
//	sluice run grading.yaml -p score=95 -p student=grace
package main

import "github.com/sluicehq/sluice/dsl"

// letter writes the letter it is given as its output: each branch of the
// If/Elif/Else runs it with a different letter.
var letter = &dsl.Container{
	Name:    "letter",
	Image:   "alpine:3.20",
	Inputs:  []dsl.Input{{Name: "grade", Type: dsl.String}},
	Outputs: []dsl.Output{{Name: "grade", Type: dsl.String}},
	Command: []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && printf '%s' "$0" > "$1"`,
		dsl.InputValue("grade"), dsl.OutputPath("grade")},
}

// announce builds a sentence from --who=STUDENT, --grade=G and, when it is
// given, --note NOTE.
var announce = &dsl.Container{
	Name:  "announce",
	Image: "alpine:3.20",
	Inputs: []dsl.Input{
		{Name: "student", Type: dsl.String},
		{Name: "grade", Type: dsl.String},
		{Name: "note", Type: dsl.String, Optional: true},
	},
	Outputs: []dsl.Output{{Name: "sentence", Type: dsl.String}},
	Command: []string{"sh", "-c", `
out=$1; shift
for a in "$@"; do
  case $a in
    --who=*) who=${a#--who=} ;;
    --grade=*) grade=${a#--grade=} ;;
    --note) next=note ;;
    *) [ "$next" = note ] && note=" ($a)"; next= ;;
  esac
done
mkdir -p "$(dirname "$out")"
printf '%s got %s%s' "$who" "$grade" "$note" | tee "$out"`,
		"sh", dsl.OutputPath("sentence")},
	Args: []string{
		dsl.Concat("--who=", dsl.InputValue("student")),
		dsl.Concat("--grade=", dsl.InputValue("grade")),
		dsl.IfPresent("note", []string{"--note", dsl.InputValue("note")}, nil),
	},
}

// writeCertificate writes a certificate file (a Dataset artifact).
var writeCertificate = &dsl.Container{
	Name:    "write-certificate",
	Image:   "alpine:3.20",
	Inputs:  []dsl.Input{{Name: "sentence", Type: dsl.String}},
	Outputs: []dsl.Output{{Name: "certificate", Type: dsl.Dataset}},
	Command: []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && printf 'Certificate: %s\n' "$0" > "$1"`,
		dsl.InputValue("sentence"), dsl.OutputPath("certificate")},
}

// countWords counts the words of a file.
var countWords = &dsl.Container{
	Name:    "count-words",
	Image:   "alpine:3.20",
	Inputs:  []dsl.Input{{Name: "file", Type: dsl.Artifact}},
	Outputs: []dsl.Output{{Name: "words", Type: dsl.Int}},
	Command: []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && wc -w < "$0" | tr -d ' ' > "$1"`,
		dsl.InputPath("file"), dsl.OutputPath("words")},
}

// certificate is a nested pipeline: write the certificate, count its words.
func certificate() *dsl.Pipeline {
	p := dsl.NewPipeline("certificate")
	sentence := p.Param(dsl.Input{Name: "sentence", Type: dsl.String})
	w := p.Task(writeCertificate, dsl.Inputs{"sentence": sentence}).
		SetCPULimit("500m").SetMemoryLimit("64Mi")
	n := p.Task(countWords, dsl.Inputs{"file": w.Output("certificate")})
	p.Output("certificate", w.Output("certificate"))
	p.Output("words", n.Output("words"))
	return p
}

func pipeline() *dsl.Pipeline {
	p := dsl.NewPipeline("grading").SetDescription("Grade a score, announce it, write a certificate.")
	student := p.StringParam("student", "ada")
	score := p.IntParam("score", 72)

	var a, b, c *dsl.Task
	p.If(score.Ge(90), func() {
		a = p.Task(letter, dsl.Inputs{"grade": "A"})
	}).Elif(score.Ge(70), func() {
		b = p.Task(letter, dsl.Inputs{"grade": "B"})
	}).Else(func() {
		c = p.Task(letter, dsl.Inputs{"grade": "C"})
	})
	grade := dsl.OneOf(a.Output("grade"), b.Output("grade"), c.Output("grade"))

	said := p.Task(announce, dsl.Inputs{"student": student, "grade": grade}).
		SetRetry(2).SetEnv("LC_ALL", "C").SetCaching(false)
	cert := p.Task(certificate(), dsl.Inputs{"sentence": said.Output("sentence")})
	noted := p.Task(announce, dsl.Inputs{"student": student, "grade": grade, "note": "well done"}).
		SetDisplayName("announce-with-note").After(cert)

	p.Output("sentence", said.Output("sentence"))
	p.Output("noted", noted.Output("sentence"))
	p.Output("certificate", cert.Output("certificate"))
	p.Output("words", cert.Output("words"))
	return p
}

func main() { dsl.Main(pipeline()) }
