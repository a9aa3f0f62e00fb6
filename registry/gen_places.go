package registry

// Place tables for the synthetic data generator. Shares are percentages of
// Estonia's population; municipalities are real ones of each county, with
// rough relative weights. The tables are read only.

type municipality struct {
	name   string
	weight float64
	// town is how the place appears at the end of an address ("Tallinn"
	// for "Tallinn", "Narva" for "Narva linn"); empty for a rural
	// municipality (vald), whose addresses name a village.
	town string
}

type county struct {
	name           string
	share          float64 // percent of the population
	municipalities []municipality
}

var counties = []county{
	{"Harju maakond", 45.5, []municipality{
		{"Tallinn", 68, "Tallinn"}, {"Harku vald", 4, ""}, {"Viimsi vald", 4.3, ""}, {"Rae vald", 4.6, ""},
		{"Saue vald", 3.7, ""}, {"Maardu linn", 2.6, "Maardu"}, {"Jõelähtme vald", 1.1, ""},
		{"Kiili vald", 1, ""}, {"Saku vald", 1.8, ""}, {"Keila linn", 1.6, "Keila"},
		{"Lääne-Harju vald", 2.2, ""}, {"Kose vald", 1.2, ""}, {"Kuusalu vald", 1, ""},
		{"Anija vald", 1, ""}, {"Raasiku vald", 0.8, ""}, {"Loksa linn", 0.4, "Loksa"},
	}},
	{"Hiiu maakond", 0.7, []municipality{{"Hiiumaa vald", 1, ""}}},
	{"Ida-Viru maakond", 10.5, []municipality{
		{"Narva linn", 41, "Narva"}, {"Kohtla-Järve linn", 24, "Kohtla-Järve"}, {"Sillamäe linn", 9, "Sillamäe"},
		{"Jõhvi vald", 8.5, ""}, {"Narva-Jõesuu linn", 3.5, "Narva-Jõesuu"}, {"Toila vald", 3.5, ""},
		{"Lüganuse vald", 6.5, ""}, {"Alutaguse vald", 3.5, ""},
	}},
	{"Jõgeva maakond", 2.1, []municipality{{"Jõgeva vald", 47, ""}, {"Põltsamaa vald", 35, ""}, {"Mustvee vald", 18, ""}}},
	{"Järva maakond", 2.3, []municipality{{"Paide linn", 36, "Paide"}, {"Türi vald", 35, ""}, {"Järva vald", 29, ""}}},
	{"Lääne maakond", 1.5, []municipality{{"Haapsalu linn", 64, "Haapsalu"}, {"Lääne-Nigula vald", 34, ""}, {"Vormsi vald", 2, ""}}},
	{"Lääne-Viru maakond", 4.6, []municipality{
		{"Rakvere linn", 27, "Rakvere"}, {"Rakvere vald", 9, ""}, {"Tapa vald", 18, ""}, {"Viru-Nigula vald", 9, ""},
		{"Väike-Maarja vald", 9, ""}, {"Vinni vald", 11, ""}, {"Kadrina vald", 8, ""}, {"Haljala vald", 9, ""},
	}},
	{"Põlva maakond", 1.9, []municipality{{"Põlva vald", 53, ""}, {"Kanepi vald", 20, ""}, {"Räpina vald", 27, ""}}},
	{"Pärnu maakond", 6.9, []municipality{
		{"Pärnu linn", 61, "Pärnu"}, {"Saarde vald", 5, ""}, {"Põhja-Pärnumaa vald", 9, ""}, {"Tori vald", 13, ""},
		{"Häädemeeste vald", 5, ""}, {"Lääneranna vald", 6, ""}, {"Kihnu vald", 1, ""},
	}},
	{"Rapla maakond", 2.6, []municipality{{"Rapla vald", 40, ""}, {"Kohila vald", 22, ""}, {"Märjamaa vald", 22, ""}, {"Kehtna vald", 16, ""}}},
	{"Saare maakond", 2.5, []municipality{{"Saaremaa vald", 93, ""}, {"Muhu vald", 6, ""}, {"Ruhnu vald", 1, ""}}},
	{"Tartu maakond", 11.9, []municipality{
		{"Tartu linn", 62, "Tartu"}, {"Elva vald", 9, ""}, {"Kastre vald", 3.5, ""}, {"Luunja vald", 3.2, ""},
		{"Nõo vald", 2.8, ""}, {"Peipsiääre vald", 3, ""}, {"Tartu vald", 7, ""}, {"Kambja vald", 7.5, ""},
	}},
	{"Valga maakond", 2.2, []municipality{{"Valga vald", 52, ""}, {"Otepää vald", 23, ""}, {"Tõrva vald", 25, ""}}},
	{"Viljandi maakond", 3.5, []municipality{{"Viljandi linn", 37, "Viljandi"}, {"Viljandi vald", 28, ""}, {"Mulgi vald", 15, ""}, {"Põhja-Sakala vald", 20, ""}}},
	{"Võru maakond", 2.6, []municipality{{"Võru linn", 34, "Võru"}, {"Võru vald", 30, ""}, {"Antsla vald", 11, ""}, {"Rõuge vald", 19, ""}, {"Setomaa vald", 6, ""}}},
}

var streets = []string{
	"Pärna", "Kase", "Tamme", "Lepa", "Vahtra", "Pikk", "Lai", "Aia", "Kooli", "Jaama", "Põllu", "Mere",
	"Sõpruse", "Narva", "Tartu", "Pärnu", "Vabaduse", "Lõuna", "Männi", "Kuuse", "Järve", "Jõe", "Rüütli",
	"Õie", "Kevade", "Väike-Ameerika", "Kalevi", "Lille", "Nõmme", "Ülikooli", "Tööstuse", "Posti",
}

var streetKinds = []string{"tn", "tn", "tn", "tn", "mnt", "pst", "põik"}

var villages = []string{
	"Kõrve küla", "Tammiku küla", "Metsküla", "Kurna küla", "Uuesalu küla", "Järveküla", "Vaida alevik",
	"Männiku küla", "Tõrvandi alevik", "Ülenurme alevik", "Pärnjõe küla", "Mõisaküla", "Kärla alevik",
	"Sõmera küla", "Nõmmküla", "Lähte alevik", "Äksi alevik", "Võsu alevik",
}

var farms = []string{"Mäe", "Vahe", "Jõe", "Tamme", "Kuuse", "Põllu", "Ülejõe", "Metsa", "Rätsepa", "Sepa", "Kõrtsi"}
