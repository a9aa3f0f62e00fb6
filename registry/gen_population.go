package registry

import (
	"math/rand/v2"
	"strconv"
)

// maxPopulationRows keeps every (birth date, sex) well below its 1,000
// serial numbers even at the peak of the age pyramid.
const maxPopulationRows = 20_000_000

type populationMaker struct {
	places  countyPicker
	ages    picker
	estCit  picker
	rusCit  picker
	serials map[int32]uint16 // (days since 1800 * 2 + sex) -> serials used
	buf     []byte
}

func newPopulationMaker() *populationMaker {
	return &populationMaker{
		places:  newCountyPicker(populationShare),
		ages:    newPicker(ageBands),
		estCit:  newPicker(weightsOf(estonianCitizenship, func(c weightedCode) float64 { return c.weight })),
		rusCit:  newPicker(weightsOf(russianCitizenship, func(c weightedCode) float64 { return c.weight })),
		serials: make(map[int32]uint16),
	}
}

func (p *populationMaker) next(rng *rand.Rand) []string {
	birth, age := p.birthDate(rng)
	sex := byte('M')
	if chance(rng, femaleShare(age)) {
		sex = 'F'
	}
	code, birth := p.personalCode(sex, birth)
	c, m := p.places.pick(rng)
	russian := chance(rng, russianShare(counties[c].name))
	given, family := names(rng, sex, russian)
	cit := estonianCitizenship[p.estCit.pick(rng)].code
	if russian {
		cit = russianCitizenship[p.rusCit.pick(rng)].code
	}
	return []string{
		code, given, family, string(rune(sex)), birth.String(),
		counties[c].name, counties[c].municipalities[m].name,
		p.address(rng, counties[c].municipalities[m]), cit,
	}
}

// birthDate draws a date of birth from the age pyramid.
func (p *populationMaker) birthDate(rng *rand.Rand) (civilDate, int) {
	band := p.ages.pick(rng)
	width := 5
	if band == len(ageBands)-1 {
		width = 6 // the last band runs to age 100
	}
	age := 5*band + rng.IntN(width)
	year := referenceYear - age
	month := 1 + rng.IntN(12)
	day := 1 + rng.IntN(daysIn(year, month))
	return civilDate{year, month, day}, age
}

// femaleShare grows with age as men die younger.
func femaleShare(age int) float64 {
	switch {
	case age < 50:
		return 0.49
	case age < 70:
		return 0.55
	case age < 85:
		return 0.65
	}
	return 0.75
}

func russianShare(county string) float64 {
	switch county {
	case "Ida-Viru maakond":
		return 0.75
	case "Harju maakond":
		return 0.33
	}
	return 0.05
}

// personalCode gives each (birth date, sex) consecutive serials, spread
// over 000-999 by a fixed permutation so that codes never repeat. A full
// date falls back to the next day, which it returns as the birth date.
func (p *populationMaker) personalCode(sex byte, birth civilDate) (string, civilDate) {
	for {
		k := int32(daysSince1800(birth)) * 2
		if sex == 'F' {
			k++
		}
		n := p.serials[k]
		if n < 1000 {
			p.serials[k] = n + 1
			serial := (int(n)*337 + int(k)*7919) % 1000
			p.buf = appendPersonalCode(p.buf[:0], sex, birth, serial)
			return string(p.buf), birth
		}
		birth = nextDay(birth)
	}
}

// daysSince1800 counts days from 1800-01-01 (the days-from-civil
// algorithm, valid for years from 1 on).
func daysSince1800(d civilDate) int {
	return epochDays(d) - epochDays(civilDate{1800, 1, 1})
}

func epochDays(d civilDate) int {
	y := d.year
	if d.month <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((d.month+9)%12)+2)/5 + d.day - 1
	return era*146097 + yoe*365 + yoe/4 - yoe/100 + doy
}

func nextDay(d civilDate) civilDate {
	switch {
	case d.day < daysIn(d.year, d.month):
		d.day++
	case d.month < 12:
		d.month, d.day = d.month+1, 1
	default:
		d.year, d.month, d.day = d.year+1, 1, 1
	}
	return d
}

func names(rng *rand.Rand, sex byte, russian bool) (given, family string) {
	switch {
	case russian && sex == 'M':
		return oneOf(rng, russianMaleNames), russianFamilyNames[rng.IntN(len(russianFamilyNames))][0]
	case russian:
		return oneOf(rng, russianFemaleNames), russianFamilyNames[rng.IntN(len(russianFamilyNames))][1]
	case sex == 'M':
		return oneOf(rng, estonianMaleNames), oneOf(rng, estonianFamilyNames)
	default:
		return oneOf(rng, estonianFemaleNames), oneOf(rng, estonianFamilyNames)
	}
}

// address makes "Pärna tn 12-4, Tallinn" in towns and a street, farm or
// village address in rural municipalities. Some farm names are written in
// double quotes, as older records do: about 0.5% of all addresses.
func (p *populationMaker) address(rng *rand.Rand, m municipality) string {
	b := p.buf[:0]
	if m.town != "" {
		b = appendStreet(b, rng)
		b = append(b, ", "...)
		b = append(b, m.town...)
	} else {
		b = appendRuralPlace(b, rng)
		b = append(b, ", "...)
		b = append(b, m.name...)
	}
	p.buf = b
	return string(b)
}

func appendStreet(b []byte, rng *rand.Rand) []byte {
	b = append(b, oneOf(rng, streets)...)
	b = append(b, ' ')
	b = append(b, oneOf(rng, streetKinds)...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(1+rng.IntN(rng.IntN(150)+1)), 10)
	if chance(rng, 0.6) {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(1+rng.IntN(60)), 10)
	}
	return b
}

func appendRuralPlace(b []byte, rng *rand.Rand) []byte {
	switch {
	case chance(rng, 0.015):
		b = append(b, '"')
		b = append(b, oneOf(rng, farms)...)
		b = append(b, `" talu, `...)
	case chance(rng, 0.35):
		b = append(b, oneOf(rng, farms)...)
		b = append(b, " talu, "...)
	case chance(rng, 0.5):
		b = appendStreet(b, rng)
		b = append(b, ", "...)
	}
	return append(b, oneOf(rng, villages)...)
}
