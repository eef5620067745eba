package phi

// countries lists country names and their common single-word forms. Countries
// and states are not Safe Harbor identifiers (only subdivisions smaller than
// a state are), so these words are excluded from name detection but never
// reported on their own. Multi-word names are joined with underscores.
const countries = `
afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain
bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria burkina
burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba cyprus czechia czech
denmark djibouti dominica ecuador egypt england eritrea estonia eswatini ethiopia fiji finland france gabon
gambia georgia germany ghana greece greenland grenada guatemala guinea guyana haiti honduras hungary iceland
india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati korea kosovo
kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar
malawi malaysia maldives mali malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro
morocco mozambique myanmar namibia nauru nepal netherlands holland nicaragua niger nigeria norway oman
pakistan palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
scotland senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland
syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey turkmenistan tuvalu uganda ukraine
uruguay uzbekistan vanuatu vatican venezuela vietnam wales yemen zambia zimbabwe usa uk uae america europe asia
africa antarctica oceania
united_states united_kingdom new_zealand south_africa south_korea north_korea czech_republic saudi_arabia
costa_rica puerto_rico el_salvador sri_lanka hong_kong dominican_republic ivory_coast sierra_leone
great_britain united_arab_emirates new_caledonia`

// usStates lists the states, districts and territories of the United States.
const usStates = `
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington
wisconsin wyoming guam
new_hampshire new_jersey new_mexico new_york north_carolina north_dakota rhode_island south_carolina
south_dakota west_virginia district_of_columbia`

// stateCodes lists the USPS two-letter codes; they count only when written in
// capitals inside an address, since several are everyday words (in, me, or).
const stateCodes = `
al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd oh ok
or pa ri sc sd tn tx ut vt va wa wv wi wy pr gu vi aa ae ap`

// cities lists large United States cities; a city is a Safe Harbor identifier.
// Other cities are found from context ("I live in ...").
const cities = `
albuquerque anaheim anchorage arlington atlanta aurora austin bakersfield baltimore baton_rouge birmingham
boise boston buffalo chandler charlotte chesapeake chicago chula_vista cincinnati cleveland colorado_springs
columbus corpus_christi dallas denver detroit durham el_paso fort_wayne fort_worth fremont fresno garland
gilbert glendale greensboro henderson hialeah honolulu houston indianapolis irvine irving jacksonville
jersey_city kansas_city laredo las_vegas lexington lincoln long_beach los_angeles louisville lubbock madison
memphis mesa miami milwaukee minneapolis nashville new_orleans newark norfolk oakland oklahoma_city omaha
orlando philadelphia phoenix pittsburgh plano portland raleigh reno richmond riverside sacramento
saint_paul st_paul st_louis st_petersburg san_antonio san_diego san_francisco san_jose santa_ana scottsdale
seattle spokane stockton tampa toledo tucson tulsa virginia_beach wichita winston_salem brooklyn queens
bronx manhattan staten_island springfield salem fairfield franklin greenville bristol clinton marion
oxford burlington dayton akron tacoma knoxville savannah hartford providence worcester syracuse rochester
albany trenton camden allentown harrisburg charleston columbia jackson montgomery mobile shreveport
little_rock des_moines cedar_rapids topeka lansing flint ann_arbor grand_rapids duluth fargo billings
cheyenne santa_fe provo ogden eugene salinas modesto oxnard pasadena berkeley palo_alto san_mateo
london paris berlin madrid rome toronto vancouver montreal mexico_city sydney melbourne dublin amsterdam
tokyo`

// streetSuffixes lists words that end or start the street part of an address,
// in English and in the languages of common immigrant communities.
const streetSuffixes = `
street st avenue ave av road rd boulevard blvd lane ln drive dr court ct way place pl circle cir terrace ter
terr parkway pkwy highway hwy route rte square sq trail trl plaza plz alley aly crescent cres expressway
expy freeway fwy turnpike tpke pike loop row walk path close mews gardens green grove heights hill hills
park parks point pointe ridge run view villas vista crossing cove creek glen harbor harbour hollow landing
meadow meadows mill mills orchard pass passage pines port ranch spring springs station summit valley
village ville well wells wharf wood woods estates junction bypass causeway commons corners courts drives
extension extensions gateway lanes manor manors oval overpass parkways pines plains ports rapids squares
streets stravenue throughway trace track trafficway tunnel underpass union unions center centre
calle avenida carrera camino paseo rua rue via viale vicolo piazza corso strasse straße str gasse weg platz
allee ring gata gatan vej vei vegen veien katu tie kuja polku utca ut út útja tér u ul ulica odos plads stræde
boulevard chaussee chemin allée impasse quai rambla travessa largo λεωφόρος οδός πλατεία`

// unitWords introduce the secondary unit or box of an address.
const unitWords = `apt apartment suite ste unit box po pobox bldg building floor fl room rm lot space spc trlr
psc cmr apo fpo dpo`

// orgSuffixes end the names of organisations; a capitalised run ending in one
// is an organisation, not a person.
const orgSuffixes = `
inc incorporated corp corporation co company llc llp ltd limited plc gmbh ag sa bv group holdings partners
associates bank hospital clinic clinics pharmacy pharmacies medical health healthcare center centre
university college school academy institute foundation association society church orchestra band
laboratories labs lab systems solutions technologies technology services capital investments insurance
markets media news weekly times journal magazine press records studios airlines motors foods industries
agency department office ministry council committee club team united fc practice practices
physicians pediatrics dental dentistry urgent care surgical surgery imaging diagnostics rehabilitation`

// titles precede a person's name.
const titles = `dr doctor mr mister mrs missus ms miss mx prof professor rev reverend fr father sr sister
nurse np pa rn md dds`

// nameCueWords announce a name that follows within a few words.
const nameCueAfter = `named called name's husband wife son daughter mother mom father dad brother sister
grandson granddaughter grandmother grandfather grandma grandpa aunt uncle niece nephew cousin
boyfriend girlfriend fiance fiancee partner spouse kid child baby guardian caregiver patient
colleague friend neighbor neighbour roommate`
