package registry

// Name and citizenship tables for the synthetic population. Read only.

var (
	estonianMaleNames = []string{
		"Jüri", "Tõnu", "Andres", "Jaan", "Toomas", "Mart", "Margus", "Rein", "Priit", "Aivar", "Indrek",
		"Urmas", "Peeter", "Märt", "Ülo", "Tõnis", "Rasmus", "Oskar", "Robin", "Kristjan", "Sander",
		"Martin", "Karl", "Hugo", "Romet", "Kaspar", "Jürgen", "Mihkel", "Rünno", "Enn", "Aare", "Sten",
	}
	estonianFemaleNames = []string{
		"Mari", "Kadri", "Tiina", "Anne", "Ülle", "Külli", "Sirje", "Mai", "Pille", "Kärt", "Liis", "Laura",
		"Sofia", "Emma", "Mia", "Eliise", "Grete", "Kätlin", "Triin", "Merike", "Õie", "Maarja", "Heli",
		"Siiri", "Tiiu", "Ene", "Helgi", "Reet", "Marju", "Lisete", "Elsa", "Hanna-Liis",
	}
	estonianFamilyNames = []string{
		"Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik", "Kuusk",
		"Karu", "Mets", "Mäe", "Põder", "Šmidt", "Käär", "Õunapuu", "Rästas", "Sööt", "Lõhmus", "Kõiv",
		"Vaher", "Raudsepp", "Jõgi", "Mänd", "Luik", "Lill", "Org", "Jakobson", "Männik", "Laur", "Tooming",
		"Aun", "Kütt", "Tõnisson", "Kalju", "Paju", "Järv", "Kivi", "Ots", "Õun", "Nõmm", "Süvari", "Pähkel",
		"Tõugu", "Kübar", "Härm", "Rüütel",
	}
	russianMaleNames = []string{
		"Aleksandr", "Sergei", "Dmitri", "Andrei", "Vladimir", "Jevgeni", "Nikolai", "Aleksei", "Igor",
		"Maksim", "Artjom", "Mihhail", "Ivan", "Oleg", "Juri", "Vjatšeslav",
	}
	russianFemaleNames = []string{
		"Tatjana", "Olga", "Jelena", "Svetlana", "Natalja", "Žanna", "Ksenia", "Irina", "Anastassia",
		"Julia", "Marina", "Galina", "Ljudmila", "Darja", "Valentina", "Jekaterina",
	}
	// russianFamilyNames holds male and female forms.
	russianFamilyNames = [][2]string{
		{"Ivanov", "Ivanova"}, {"Smirnov", "Smirnova"}, {"Kuznetsov", "Kuznetsova"}, {"Popov", "Popova"},
		{"Vassiljev", "Vassiljeva"}, {"Petrov", "Petrova"}, {"Sokolov", "Sokolova"}, {"Žukov", "Žukova"},
		{"Morozov", "Morozova"}, {"Volkov", "Volkova"}, {"Nikitin", "Nikitina"}, {"Fjodorov", "Fjodorova"},
		{"Ševtšenko", "Ševtšenko"}, {"Kovaljov", "Kovaljova"}, {"Jegorov", "Jegorova"}, {"Orlov", "Orlova"},
	}
)

type weightedCode struct {
	code   string
	weight float64
}

// Citizenship of people with Estonian and with Russian names; together
// they come to about 85% EST overall.
var (
	estonianCitizenship = []weightedCode{
		{"EST", 97.3}, {"FIN", 0.8}, {"LVA", 0.5}, {"DEU", 0.3}, {"SWE", 0.2}, {"LTU", 0.2}, {"GBR", 0.2},
		{"USA", 0.15}, {"FRA", 0.1}, {"ITA", 0.1}, {"POL", 0.1}, {"IND", 0.1}, {"NGA", 0.05}, {"ESP", 0.05},
		{"NLD", 0.05},
	}
	russianCitizenship = []weightedCode{
		{"EST", 53}, {"RUS", 27}, {"UKR", 14}, {"BLR", 2.5}, {"LVA", 1}, {"KAZ", 0.8}, {"MDA", 0.7},
		{"LTU", 0.5}, {"GEO", 0.3}, {"ARM", 0.2},
	}
)

// ageBands gives the relative number of people per five-year age band
// (0-4, 5-9, ..., 95-100), roughly the Estonian population pyramid.
var ageBands = []float64{63, 73, 76, 70, 62, 70, 91, 96, 92, 89, 85, 83, 86, 80, 70, 52, 38, 24, 10, 2.8}

// referenceYear is the year ages are counted from: births run 1925-2025.
const referenceYear = 2025
