package registry

import (
	"math/rand/v2"
	"strconv"
)

// Cadastral codes are unit:block:parcel. Each municipality owns ten
// five-digit units; within a municipality a
// counter is mapped by a fixed permutation onto (unit digit, block 1-999,
// parcel 1-9999), so codes never repeat.
const (
	cadastralSpace = 10 * 999 * 9999
	cadastralStep  = 55561877 // coprime to cadastralSpace
)

// maxLandRows is far below the key space of even one municipality.
const maxLandRows = 50_000_000

type purpose struct {
	name       string
	weight     float64 // share of parcels
	medianArea float64 // m²
	areaSigma  float64
	eurPerM2   float64 // assessed value per m² outside the cities
}

var purposes = []purpose{
	{"residential", 38, 1200, 0.8, 35},
	{"commercial", 7, 2500, 1.0, 60},
	{"industrial", 4, 9000, 1.1, 25},
	{"agricultural", 21, 60000, 1.0, 0.35},
	{"forest", 24, 80000, 1.1, 0.45},
	{"other", 6, 1500, 1.3, 8},
}

type landMaker struct {
	places   countyPicker
	purposes picker
	owners   *ownerMaker
	parcels  map[int]int // county*100+municipality -> parcels made
	buf      []byte
}

func newLandMaker() *landMaker {
	return &landMaker{
		// Land is spread more evenly than people.
		places:   newCountyPicker(func(c county) float64 { return c.share + 100.0/float64(len(counties)) }),
		purposes: newPicker(weightsOf(purposes, func(p purpose) float64 { return p.weight })),
		owners:   &ownerMaker{},
		parcels:  make(map[int]int),
	}
}

func (l *landMaker) next(rng *rand.Rand) []string {
	c, m := l.places.pick(rng)
	p := purposes[l.purposes.pick(rng)]
	area := clampInt(logNormal(rng, p.medianArea, p.areaSigma), 1, 50_000_000)
	value := clampInt(float64(area)*p.eurPerM2*priceFactor(c, m)*logNormal(rng, 1, 0.35), 0, 1<<50)
	return []string{
		l.cadastralCode(c, m),
		counties[c].name, counties[c].municipalities[m].name, p.name,
		strconv.FormatInt(area, 10), strconv.FormatInt(value, 10),
		l.owners.next(rng),
	}
}

// priceFactor makes land in and near the big towns dearer.
func priceFactor(c, m int) float64 {
	factor := 1.0
	switch counties[c].name {
	case "Harju maakond":
		factor = 2.5
	case "Tartu maakond":
		factor = 1.6
	case "Pärnu maakond":
		factor = 1.3
	}
	if counties[c].municipalities[m].town != "" {
		factor *= 2
	}
	return factor
}

func (l *landMaker) cadastralCode(c, m int) string {
	key := c*100 + m
	n := l.parcels[key]
	l.parcels[key] = n + 1
	v := int((int64(n)*cadastralStep + int64(key)*7919) % cadastralSpace)
	// (c*16+m)*10 + unit digit is below 2400, so unit stays five digits.
	unit := 10000 + ((c*16+m)*10+v/(999*9999))*37
	v %= 999 * 9999
	b := appendPadded(l.buf[:0], unit, 5)
	b = append(b, ':')
	b = appendPadded(b, 1+v/9999, 3)
	b = append(b, ':')
	b = appendPadded(b, 1+v%9999, 4)
	l.buf = b
	return string(b)
}

// ownerMaker makes owner codes: mostly people, some companies. Owners may
// repeat, as they do in the land register.
type ownerMaker struct {
	buf []byte
}

func (o *ownerMaker) next(rng *rand.Rand) string {
	if chance(rng, 0.7) {
		year := 1925 + rng.IntN(2007-1925+1)
		month := 1 + rng.IntN(12)
		birth := civilDate{year, month, 1 + rng.IntN(daysIn(year, month))}
		sex := byte('M')
		if chance(rng, 0.5) {
			sex = 'F'
		}
		o.buf = appendPersonalCode(o.buf[:0], sex, birth, rng.IntN(1000))
	} else {
		first := byte('1')
		if chance(rng, 0.1) {
			first = '8'
		}
		o.buf = appendRegistryCode(o.buf[:0], first, rng.IntN(1_000_000))
	}
	return string(o.buf)
}
