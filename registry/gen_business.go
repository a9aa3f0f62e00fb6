package registry

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Registry codes are a first digit (1 companies, 8 non-profits, 9
// foundations), six digits and a check digit. Per first digit a counter is
// mapped onto the six digits by a fixed permutation, so codes never repeat.
const (
	registryCodeSpace = 1_000_000
	registryCodeStep  = 618_033 // coprime to registryCodeSpace
)

// maxBusinessRows is the whole code space. Past a million companies (first
// digit 1) the remaining rows are non-profits and foundations.
const maxBusinessRows = 3 * registryCodeSpace

type legalForm struct {
	name      string
	weight    float64
	firstCode byte    // first digit of the registry code
	staff     float64 // median employees of those that have any
}

var legalForms = []legalForm{
	{"OÜ", 82, '1', 3},
	{"MTÜ", 8, '8', 2},
	{"FIE", 4, '1', 1},
	{"AS", 3, '1', 25},
	{"SA", 1.5, '9', 8},
	{"TÜ", 1.5, '1', 2},
}

var (
	businessStems = []string{
		"Põder", "Tamm", "Mäe", "Kask", "Rebane", "Sööt", "Käär", "Õunapuu", "Jõe", "Tõnu", "Ülemiste",
		"Põhjala", "Lõuna", "Kesk", "Rannamõisa", "Järve", "Vahtra", "Kuldne Kala", "Läänemere", "Peipsi",
		"Saare", "Baltic", "Nordic", "Tallinna", "Tartu", "Pärnu", "Viru", "Emajõe", "Mulgi", "Hiiu",
	}
	businessTrades = []string{
		"Ehitus", "Puit", "Transport", "Konsult", "IT", "Kinnisvara", "Metall", "Toit", "Disain",
		"Tarkvara", "Logistika", "Põllumajandus", "Kaubandus", "Auto", "Energia", "Meditsiin", "Turism",
		"Finants", "Arendus", "Teenused",
	}
	nonProfitKinds  = []string{"Külaselts", "Spordiklubi", "Kultuuriselts", "Noorteühendus", "Seltsing", "Kogukond"}
	foundationKinds = []string{"Haigla", "Hariduse Fond", "Kultuurifond", "Arenduskeskus", "Teatri Sihtasutus"}
	statuses        = []weightedCode{{"active", 85}, {"liquidation", 3}, {"deleted", 12}}
)

type businessMaker struct {
	places   countyPicker
	forms    picker
	statuses picker
	used     map[byte]int // first digit -> codes made
	buf      []byte
}

func newBusinessMaker() *businessMaker {
	return &businessMaker{
		// Businesses cluster in the capital even more than people do.
		places: newCountyPicker(func(c county) float64 {
			if c.name == "Harju maakond" {
				return c.share * 1.6
			}
			return c.share
		}),
		forms:    newPicker(weightsOf(legalForms, func(f legalForm) float64 { return f.weight })),
		statuses: newPicker(weightsOf(statuses, func(s weightedCode) float64 { return s.weight })),
		used:     make(map[byte]int),
	}
}

func (b *businessMaker) next(rng *rand.Rand) []string {
	form := legalForms[b.forms.pick(rng)]
	for b.used[form.firstCode] >= registryCodeSpace {
		form = legalForms[b.forms.pick(rng)]
	}
	c, _ := b.places.pick(rng)
	employees := staff(rng, form)
	return []string{
		b.registryCode(form.firstCode),
		b.name(rng, form),
		form.name,
		counties[c].name,
		founded(rng).String(),
		strconv.FormatInt(employees, 10),
		strconv.FormatInt(revenue(rng, employees), 10),
		statuses[b.statuses.pick(rng)].code,
	}
}

func (b *businessMaker) registryCode(first byte) string {
	n := b.used[first]
	b.used[first] = n + 1
	body := int((int64(n)*registryCodeStep + int64(first)*7919) % registryCodeSpace)
	b.buf = appendRegistryCode(b.buf[:0], first, body)
	return string(b.buf)
}

// name makes names like "Põder Ehitus OÜ", "MTÜ Järve Külaselts",
// "Tamm, Kask ja Partnerid OÜ" or, now and then, a name in quotes.
func (b *businessMaker) name(rng *rand.Rand, form legalForm) string {
	n := b.buf[:0]
	switch form.name {
	case "MTÜ":
		n = append(n, "MTÜ "...)
		n = appendMaybeQuoted(n, rng, oneOf(rng, businessStems)+" "+oneOf(rng, nonProfitKinds))
	case "SA":
		n = append(n, "SA "...)
		n = append(n, oneOf(rng, businessStems)...)
		n = append(n, ' ')
		n = append(n, oneOf(rng, foundationKinds)...)
	case "FIE":
		given, family := names(rng, 'M', false)
		n = append(n, given...)
		n = append(n, ' ')
		n = append(n, family...)
		n = append(n, " FIE"...)
	default:
		if chance(rng, 0.04) {
			n = append(n, oneOf(rng, estonianFamilyNames)...)
			n = append(n, ", "...)
			n = append(n, oneOf(rng, estonianFamilyNames)...)
			n = append(n, " ja Partnerid"...)
		} else {
			n = append(n, oneOf(rng, businessStems)...)
			n = append(n, ' ')
			n = append(n, oneOf(rng, businessTrades)...)
		}
		n = append(n, ' ')
		n = append(n, form.name...)
	}
	b.buf = n
	return string(n)
}

func appendMaybeQuoted(b []byte, rng *rand.Rand, s string) []byte {
	if chance(rng, 0.05) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return append(b, s...)
}

// staff is heavy tailed: many have no employees, most of the rest a few.
func staff(rng *rand.Rand, form legalForm) int64 {
	if form.name == "FIE" {
		return int64(rng.IntN(3))
	}
	if chance(rng, 0.4) {
		return 0
	}
	return clampInt(logNormal(rng, form.staff, 1.3), 1, 20_000)
}

// revenue grows with staff; companies without staff often report none.
func revenue(rng *rand.Rand, employees int64) int64 {
	if employees == 0 {
		if chance(rng, 0.5) {
			return 0
		}
		return clampInt(logNormal(rng, 15_000, 1.2), 0, 10_000_000)
	}
	return clampInt(float64(employees)*logNormal(rng, 70_000, 0.6), 0, math.MaxInt32*1000)
}

// founded leans towards recent years: the register has grown fast.
func founded(rng *rand.Rand) civilDate {
	year := 1992 + int(34*math.Sqrt(rng.Float64()))
	if year > referenceYear {
		year = referenceYear
	}
	month := 1 + rng.IntN(12)
	return civilDate{year, month, 1 + rng.IntN(daysIn(year, month))}
}
