package phi

// commonWords lists everyday English words (base forms; inflections are
// found by stripping regular suffixes) that are not on their own evidence of
// a person. A capitalised token that is a common word is a name only with
// other evidence (a title, a cue phrase, a known-name list).
const commonWords = `
a about above across act action actually add address adult after afternoon again against age ago agree ahead
air all allow almost alone along already also although always am among amount an and animal another answer any
anybody anyone anything anyway anywhere apart apartment appear apply area arm army around arrive art as ask at
attention available avenue away baby back bad bag ball bank bar base basic basis be bear beat beautiful because
become bed before begin behind being believe below best better between beyond big bill bit black blood blue
board boat body book born both bottom box boy break bring brother brown build building business busy but buy by
call calm camera can car card care career carry case cash cat catch cause cell center central century certain
certainly chair chance change charge cheap check child choice choose church citizen city class clear clearly
close cold collect college color come common community company complete computer concern condition consider
contain continue control cool copy corner cost could count country couple course court cover create crime cross
cry cup current customer cut dad daily dark data date daughter day dead deal dear death decide decision deep
degree department describe design detail develop die difference different difficult dinner direct direction
discover discuss do doctor dog door down draw dream dress drink drive drop drug during each early easy eat edge
effect effort eight either else email employee end enjoy enough enter entire environment especially even evening
event ever every everybody everyone everything exactly example except expect experience explain eye face fact
fail fall family far fast father fear feel feeling few field fight figure file fill film final finally financial
find fine finger finish fire firm first fish five floor fly focus follow food foot for force foreign forget form
former forward four free friend from front full fun future game garden gas general get girl give glad glass go
god good great green ground group grow guess gun guy hair half hall hand hang happen happy hard have he head
health hear heart heat heavy hello help her here herself hey hi high him himself his history hit hold hole home
hope hospital hot hotel hour house how however huge human hundred husband i idea if image imagine important in
include including increase indeed information inside instead interest interesting into issue it its itself job
join just keep key kid kill kind kitchen know knowledge land language large last late later laugh law lay lead
learn least leave left leg less let letter level lie life light like likely line list listen little live local
long look lose loss lot love low machine main maintain major make man manage manager many market marriage matter
maybe me mean meet meeting member mention message method middle might mile military milk million mind minute
miss mission mom moment money month more morning most mother mouth move movie much music must my myself name
nation national natural nature near nearly necessary need never new news next nice night nine no nobody none nor
north not note nothing notice now number of off offer office officer official often oh ok okay old on once one
only open operation option or order other others our out outside over own owner page pain paper parent part
particular partner party pass past patient pay peace people per perform perhaps period person phone pick picture
piece place plan plant play player please point police policy poor popular position possible power practice
prepare present pretty prevent price private probably problem process produce product program provide public
pull purpose push put quality question quick quickly quite race radio raise range rate rather reach read ready
real reality really reason receive recent recently record red reduce region remain remember remove report
represent require research resource respond rest result return reveal right rise risk road rock role room rule
run safe same save say scene school science score sea season seat second section see seek seem sell send senior
sense series serious serve service set seven several shake share she shoot short shot should shoulder show side
sign significant similar simple simply since sing single sir sister sit site situation six size skill skin small
smile so social some somebody someone something sometimes son song soon sorry sort sound source south space speak
special specific spend sport spring staff stage stand standard star start state statement station stay step
still stop store story street strong student study stuff style subject success such suddenly suggest summer
support sure surface system table take talk task tax teach teacher team tell ten tend term test than thank thanks
that the their them themselves then theory there these they thing think third this those though thought thousand
three through throughout throw thus time to today together tomorrow tonight too top total touch toward town trade
traditional training travel treat treatment tree trial trip trouble true truth try turn tv two type under
understand unit until up upon us use usually value various very victim view visit voice vote wait walk wall want
war watch water way we weapon wear week weight well west what whatever when where whether which while white who
whole whom whose why wide wife will win wind window wish with within without woman wonder word work worker world
worry would write wrong yard yeah year yes yet you young your yours yourself

ability able absolutely accept access accident according account across active activity actor add addition
additional adjust admit adventure advice affect afraid african agency agent ah aid aim alarm album alive alright
amazing american amp anger angry animation announce annual anxious anymore apologize app apparently appeal
appointment appreciate approach appropriate approve approximately april arrange arrangement arrival article
artist aside asleep assist assistance assistant assume ate attack attempt attend attorney audience august aunt
author auto automatic autumn average avoid award aware awful awesome background backup balance band bar barely
basically bath bathroom battery battle beach beauty bedroom beer beginning behalf behavior belong benefit beside
besides bet bike billing bind bird birth birthday bite blame blank blind block blog board boat bone bonus boost
boot border boring boss bother bottle bought bowl brain branch brand brave bread breakfast breath bridge brief
bright brilliant broke broken brought budget bug bunch burn bus button cabinet cake calendar camp campaign cancel
cancer candidate cap capital captain capture cardiology careful carefully cart cast casual cause cease celebrate
chain challenge champion channel chapter character charity chart chat cheese chest chicken chief childhood
chocolate christmas cinema circle claim classic clean clerk click client climb clinic clinical clock closed
closer cloth clothes cloud club coach coat code coffee coin collection combination comfort comfortable comment
commercial commission commit committee communication compare comparison compete competition complain complaint
complex component concept concert conclusion confidence confirm confirmation conflict confused congress
connect connection conscious consequence constant construct consult contact content contest context contract
contribute conversation convince cook cookie cop core correct cough counsel count counter county courage cousin
cousin coverage crazy cream credit crew critical crowd cultural culture curious currently cycle damage dance
danger dangerous daytime deadline dealer debate debt december deck declare decline defense definitely delay
deliver delivery demand dentist deny department departure depend deposit depression deputy desert desk despite
destroy device diet dig digital direct director dirt dirty disaster discount discussion disease dish display
distance district divide dizzy doc document dollar domestic done double doubt downstairs downtown dozen draft
drama drawer driver due dumb duty ear earlier earn earth east eastern economic economy edit edition editor
education effective efficient eighteen eighty election electric element elevator eleven elsewhere emergency
emotion emotional empty encourage ending enemy energy engine engineer english enormous ensure entrance entry
episode equal equipment error escape essential establish estate estimate evidence evil exact exam examination
excellent excited exciting excuse executive exercise exist existing exit expense expensive expert expire explore
express extend extension extra extreme fabulous facility factor fair fairly false familiar famous fan fancy
fantastic fashion fat fault favor favorite fax feature february federal fee feed female fever fifteen fifth
fifty finance fit fix flat flight flow flu folk following fool football forever forgot forgotten fortune forty
forum fourth frame frankly freedom frequent fresh friday friendly fridge fruit fuel fully fund funny furniture
gain gallery gap garage gate gather gear gender generally generation gentle gentleman gift given glasses global
goal gold golf gone gosh grab grade grand grandfather grandmother grant grateful grave greet grocery guarantee
guard guest guide guilty guitar habit hardly harm hat hate healthy hearing heaven hell helpful hero hide highway
hill hire hobby holiday honest honey honor horrible horse host hour household housing hundred hungry hunt hurry
hurt ice ill illness immediate immediately impact improve inbox incident income incorrect independent index
indicate individual industry infection inform initial injury insist inspect install instance insurance intend
internal international internet interview introduce invest investigation invite involve iron island item
january joke journey joy judge july jump june junior jury justice keen kick kiss knee knife label lack lady
lake lamp large laptop lately latest lawyer layer lazy learning lease leather legal lemon lend length lesson
liberal library license lift limit link lip liquid listing literally loan lobby location lock logic lonely
lookup loose lord loud lounge lovely lover lower luck lucky lunch mad magazine mail mailbox male mall map march
mark marketing mass master match mate material math maximum meal meaning measure meat media medical medicine
medium membership memory mental menu mere mess metal middle midnight mine minimum minor mirror mistake mix
mobile mode model modern monday monitor mood moon moreover mostly motor mount mountain mouse mr mrs ms mum
muscle museum mystery nail naked narrow nasty native navy neat neck negative neighbor neighborhood nervous
net network nevertheless newspaper nineteen ninety noise normal normally northern nose novel november nurse
object obvious obviously occasion october odd offer officially oil older online opinion opportunity opposite
orange ordinary organization original otherwise ought ounce outcome oven overall owe pack package pair pan
panel pants parking participate particularly passenger password path pattern pause peak pen penalty pension
percent perfect perfectly permanent permission personal personally pet pharmacy photo phrase physical physician
physics piano pill pilot pink pipe pitch plain plane plastic plate platform pleasure plenty plus pocket poem
poet poetry pole politics pool pop portion positive possibly post pot potential pound powerful prayer precise
prefer pregnant premium prescription presence president press pressure previous previously pride priest
primary prime prince princess principle print printer prior priority prison prize pro procedure proceed
profession professional professor profile profit progress project promise proof proper properly property
proposal protect proud prove provider psychology pub pure purchase purple quarter queen quiet rain random rare
rarely rat raw react reader reading realize rear reasonable recall receipt recognize recommend recovery reduce
reference reflect refund refuse regard regular regularly relate relationship relative relax release relief
religion rely remind remote rent repair repeat replace reply request rescue reservation reserve resident
resist resolve respect response responsibility responsible restaurant retire reward rich ride ring river
robot rough round route routine royal rude ruin rush sad sadly safety salad salary sale salt sample sand
satisfy saturday sauce scale scared schedule scheme scream screen search secret secretary secure security
seed select self senate sentence separate september sequence session setting settle seventeen seventy sex
shadow shape sharp sheet shelf shell shift shine ship shirt shock shoe shop shopping shower shut shy sick
sight signal signature silence silly silver sing sink site sixteen sixty ski sky sleep slight slightly slow
smart smell smoke snow soft software soil soldier solid solution solve somehow somewhat somewhere sore soul
soup southern spare speaker speech speed spell spirit split spot spread square stable stair stamp star stare
status steal steel stick stock stomach stone storage storm strange stranger strategy strength stress stretch
strike string stroke structure struggle stupid submit succeed successful suffer sugar suit suitable sum sun
sunday super supply suppose surgery surprise surprised survey survive suspect sweet swim switch symptom tablet
tail tale talent tall tap tape target taste tea teaching tear technical technique technology teen teenager
telephone television temperature temporary tennis tent terrible terribly text thick thin thirteen thirty
thursday ticket tie tight till tiny tip tired title toe toilet tomato tone tongue tool tooth topic tough tour
toward towel tower toy track traffic train transfer transport trash treasure trend trick truck trust tuesday
tune twelve twenty twice typical typically ugly uncle unfortunately uniform union unique universe university
unless unlikely unusual update upper upset upstairs urgent useful user usual vacation valley van vehicle
version via video village virus visible visitor vital volume volunteer wage waiter wake wallet warm warn
wash waste wave weak wealth weather web website wedding wednesday weekend weekly weird welcome western wet
whereas wherever whisper whoever wild willing wine wing winner winter wire wise witness wood wooden worried
worse worst worth wound wow wrap writer writing yellow yesterday yet youth zero zone

accent accept account achieve acid acre adapt adequate administration adopt advance advantage advertise aged
aggressive agreement agriculture airline airport alcohol alien alongside alternative amazing ambulance analysis
ancient angle anniversary anybody apart apple architect arrest aspect assessment asset assign associate
association assumption athlete atmosphere attach attitude attract authority awareness baseball basket
basketball bathe beef bell bench bend billion biology blade blanket bless boil bomb bond boom bottom boundary
bow breast breed brick bride broad broadcast buck bullet burden burst butter cable calculate candle canvas
capability capacity carbon cargo carpet carrot cave ceiling ceremony champion characteristic charm chase
cheek chemical chemistry chip cigarette circuit circumstance civil clay cliff climate coal coast colleague
colonial column combat combine comedy commander commitment committee comparable compensation competitor
composition compound comprehensive concentrate concern conduct conference confront consent conservation
consistent constitute consumer contemporary continent contrast convert conviction cooking corn corporate
corporation correspondent cotton council counsel crack craft creation creative creature crisis criteria
criticism crop crucial cruise crush crystal cue curve custom dairy darkness dear decade defeat defend deficit
define definition delicious democracy democrat deny depth derive desire detect determine devote dialogue
dimension dining diplomat disability discipline discovery distinct distribute diverse doctrine domain dominant
donate drag drawing drift dust dynamic eager ease echo ecosystem editorial educate elderly elect elegant
eliminate elite embrace emerge emission emphasis empire employ employer enable encounter endless endorse
enforce engage enhance enormous enterprise entertainment enthusiasm entity equity era essay essence ethical
ethnic evaluate evolution evolve exceed exception exchange exclusive exhibit expand expansion expectation
experiment explosion export exposure external fabric faculty faith fame fantasy farm farmer fate feather
fellow festival fiber fiction fifteen fighter finance firearm fishing flag flame flavor fleet flesh flour
flower fluid forest formal formula fort foundation founder fraction fragment framework fraud frequency
frontier frustration fundamental funeral galaxy gallon gang gaze gene genetic genius genre gesture ghost giant
glance glory golden governor grace grain grandchild grass gravity greatest grief grip gross guidance guideline
hallway handful harbor harvest headline heritage hint historian hockey holder holy horizon horror humor
hunting ideal identify identity ideology illustrate imagination immigrant immune implement implication
impose impress impression incentive incorporate indication infant inflation ingredient inherit initiative
innocent innovation input inquiry insect insight inspiration instruction instrument integrity intellectual
intelligence intense intensity interaction interpret intervention invasion invention inventory isolate jacket
jet jewelry joint journal journalist judgment juice jungle jurisdiction justify keyboard kingdom knock lab
landscape lane laser launch lawn lawsuit leaf league lean legacy legend legislation lens liberty lifestyle
lifetime limb literary literature lobby logo loyalty magic magnitude mainly mainstream mandate manner
manufacture margin marine mask massive meanwhile mechanism medal merchant merely merit midst migration mild
mill mineral minister minority miracle missile mixture mobility moderate modest molecule momentum monster
monument moral mortgage motion motivate motive mouse murder mutual myth naval negotiate neighbor nest
nevertheless nod nominee norm notion nuclear nut objective obligation observe obtain occupation occupy ocean
offense offensive offering olive opera opponent oppose orchestra organic orientation outfit output pace pad
painting palm parade parish parliament passage passion pasta patent patrol peanut peer pepper perception
perspective phase philosophy pie pile pin pine pioneer pitcher planet plot pollution portfolio portrait pose
possess poverty praise precisely predict preference premise preserve presidential prevention pride
principal probe proceeding productivity profound prominent promote prompt prospect protein protest province
provision publication publicly publish pump punch pursue puzzle quote rabbit rail rally ranch ratio reaction
realm rebel recipe recipient reform refugee regime regulation reinforce reject relevant reliable remark
render reputation rescue resemble reservation residential resistance resort retain retirement revenue
revolution rhythm rib rifle rival rod romance roof root rope rose ruling rural sacred saint satellite
scandal scholar scope script sculpture segment seize semester sensitive sentiment settlement severe shade
shark shed shelter sheriff shore shrug sibling sidewalk silent similarly skull slave slice slide slope
snake soccer solar sole sophisticated sovereign spectrum sphere spine spiritual sponsor stadium stake stance
steady steam stem stereotype stimulus strip stroke sue suburb suicide summit surgeon surround suspicion
sustain swear sweep sword symbol sympathy tactic tank teaspoon telescope tension terrain territory terror
testimony theater theme therapist thread threat thrive timber tissue tobacco toll tournament trail trait
transition translate trauma tribe trillion troop tube tunnel twin uncertainty undergo underlying unemployment
universal uncle unknown urban utility vaccine variable variation vast vegetable venture verbal verdict
vessel veteran vice vision visual vitamin vocal voter vulnerable wagon warrior wealthy weed welfare wheat
wheel whale whip widow wilderness wildlife wolf wrist yield

accounts adjuster admin administrator agent allergic allergy allergies ambulatory anesthesia appointment
approve arthritis assessment asthma audio authorization authorize balance benefits billing biopsy blood
bloodwork booking bp breathing bronchitis bruise bypass callback cancellation cardiologist cardiology caregiver
cast catheter checkup chemo chemotherapy cholesterol chronic claim clinician colonoscopy concussion confirm
congestion consent consultation copay coverage covid cramps cream ct deductible dementia dental dermatology
diabetes diabetic diagnosis dialysis diarrhea discharge dosage dose ekg er ecg emergency endoscopy eligibility
exam fatigue fever flu followup fracture gastro genetic glucose gp gynecology headache hearing heartburn
hepatitis hip hmo hospice hypertension icu imaging immunization infusion inhaler injection inpatient insulin
insurer intake iv kidney lab labs liver lung mammogram medicaid medicare medication medications migraine mri
nausea neurology nurse obgyn oncology ophthalmology optometry orthopedic orthopedics outpatient pap
pathology pcp pediatric pediatrician pediatrics pharmacist physical physiotherapy plan pneumonia policy
portal ppo practitioner pregnancy premium prenatal prescribe prescription primary prior provider psychiatry
radiology rash readmission receptionist referral refill rehab rehabilitation renewal reschedule results scan
screening sedation shot sinus specialist spine sprain stitches strep stroke subscriber surgery symptom
symptoms telehealth therapy thyroid triage ulcer ultrasound urgent urine urology vaccination vaccine
vitals voicemail walkin wellness wheelchair xray

acetaminophen advil albuterol amlodipine amoxicillin aspirin atorvastatin azithromycin benadryl cetirizine
ciprofloxacin claritin clopidogrel doxycycline eliquis gabapentin hydrochlorothiazide ibuprofen insulin
levothyroxine lipitor lisinopril losartan metformin metoprolol motrin naproxen omeprazole ozempic
pantoprazole penicillin prednisone sertraline simvastatin synthroid tramadol tylenol warfarin xarelto
zoloft zyrtec

tablet tablets capsule capsules mg mcg ml milligram milligrams units daily twice bid tid qid prn
o'clock am pm noon midnight morning afternoon evening tonight today tomorrow yesterday
monday tuesday wednesday thursday friday saturday sunday weekday weekend

i'm i'll i'd i've you're you'll you've you'd he's she's it's we're we'll we've they're they'll they've
that's there's what's who's where's how's let's can't don't doesn't didn't won't wouldn't couldn't shouldn't
isn't aren't wasn't weren't haven't hasn't hadn't ain't y'all ma'am

hello hi hey bye goodbye thanks thank please yes yeah yep nope no um uh uhm hmm mhm okay ok alright sure

dr mr mrs ms miss mx prof rev sr jr st mt ft apt ste etc vs eg ie inc llc ltd co corp

via re bot user caller agent receptionist speaker operator system assistant customer patient client member
subscriber guarantor sender recipient from to cc subject date time name phone fax address city state zip
country email website web url ip dob ssn mrn id ref no num number acct`

// commonIrregular lists inflected forms that suffix stripping cannot reduce.
const commonIrregular = `
was were is are been being has had does did done went gone came made said saw seen took taken gave given got
gotten knew known thought told found felt left kept brought bought began begun ran run sat stood wrote written
spoke spoken broke broken chose chosen drove driven ate eaten fell fallen forgot held heard laid led lost meant
met paid put read rode rose sent set shot showed shown slept sold spent stuck taught threw thrown understood
woke won wore worn children men women people feet teeth mice lives wives knives leaves better best worse
worst more most less least further farther elder eldest my mine our ours his hers its their theirs whom may might shall must can could would should cannot`

// moreWords extends commonWords with less frequent vocabulary that turns up
// capitalised in headings, titles and notes.
const moreWords = `
abstract abstracts accomplish accuracy acquire activist adolescent advocate affair affordable agenda album alley
ambassador amendment analyst anchor anthem anxiety apology appetite applause archive arena argument arrow
assembly astronaut attendant auction audit authentic avenue awkward bachelor ballet bandage banner bargain
barrel basement beast behalf belly beloved biography biscuit blast blossom boogie bounce boxing bracelet brake
breeze brochure brush bubble bucket buddy bulletin bumper bundle cafe cafeteria calm candy capsule carnival
carriage cartoon casino catalog cathedral celebrity cellar cemetery champagne chaos chapel charter cheerful
chef cherry chorus chronicle circus clarity classroom clause clay clever clerk cliff clinic closet clue cluster
coalition cocktail coconut collar collapse comedian comic commerce commodity compass compliance concrete
confession consultant consulting contractor controller cosmetic costume cottage counselor courtyard coward cozy
cradle crane crash crayon creek crime crown cube cuisine cupboard curtain cushion dairy dancer dawn dealer debut
decoration delight democracy denial dentist deposit descent designer dessert destiny detective developer diamond
diary dignity diploma disc discipline disco distributor diver dock dolphin donkey doom dose dove dragon drain
drummer duck dungeon dynasty eagle earnings eclipse elbow electrician elephant embassy ember emerald empathy
energetic engineering enrollment envelope epic equation estate eternity evergreen exhibition exile expedition
expo fable factory fairy falcon famine fantasy farewell fate feast ferry fiesta finale fireplace fist flock
flood folder forecast fortress fountain fox fragrance freshman frost fumigator fuse galaxy gamble garlic
gateway gem genre geography ghost giraffe glimpse globe glove goddess gospel gossip gourmet gown graduate
graffiti grammar granite graphic greeting grid guardian guild gymnasium habitat hammer handbook harmony harp
hawk hazard headquarters heir helicopter helmet herb hermit highlight hiking hobbit hobbits holiday honeymoon
hook hostage hostess humble hurricane hymn icon idol igloo illusion infant inferno info ink inn insider
inspector intern interstellar invoice ivory jackpot jam jazz jealous jelly jewel jockey journalism jubilee
junction jungle karma kettle keynote kingdom kit kite knight label labor labour ladder lantern lava lawyer
legend librarian lifeguard lightning limousine linen lion lizard lobster locker lodge lottery lullaby lumber
luxury lyric magnet maid mailman mansion manual maple marathon marble marina marshal mascot masterpiece
mayor meadow mechanic medal melody memo mentor merchant meteor microphone midwife milestone mint miracle
mission monarch monk mosaic mosque motel motto muffin mural musician mustard myth nanny narrator navigator
nectar neon nightmare noodle notebook novelist nursery oasis oath odyssey opera operator oracle orbit orchard
orphan outlaw owl oyster paddle painter palace panda panic parade paradise parcel parrot pastor pastry patrol
peach pearl pebble pedestrian pelican penguin pepper performer pharmacist phoenix photographer picnic pier
pilgrim pillow pioneer pirate pizza planner plumber poet polar pony portal poster prairie precision prophet
prosecutor publisher pumpkin puppet pyramid quest quiz rabbit racer radar rainbow ranger realtor rebel
recruiter referee reindeer relic remedy reporter reptile rescue retailer retreat revival riddle rifle ritual
rocket rodeo rookie ruby sailor saint salesperson salesman saleswoman salmon sanctuary sapphire satire scholar
scientist scout sculptor secretary senator sergeant serpent shepherd sheriff shrine siren skeleton sketch
slogan smoothie snack soldier sonnet sorcerer spa spectator sphinx spice spider squad stadium statue steward
strategist studio submarine suburb summit sunrise sunset superhero supervisor surgeon survivor suspense swan
symphony tango tavern technician telescope temple tenant terrace thief thriller thunder tiger timber toast
tornado tourist tractor tragedy trainer traveler treaty trio trophy tulip turtle tutor twilight tycoon umbrella
underground unicorn usher vampire vendor venue veteran villa villain vintage violin volcano voyage waitress
walrus wanderer warehouse warrior watchman weaver whisper widow wisdom witch wizard workshop wrestler yacht
zebra zombie
croatian hungarian serbian bosnian slovenian slovak czech romanian bulgarian ukrainian belarusian lithuanian
latvian estonian albanian macedonian montenegrin icelandic cambodian belizian laotian thai burmese nepali
pakistani bangladeshi afghan iranian iraqi syrian lebanese jordanian egyptian moroccan algerian tunisian
libyan nigerian ghanaian kenyan ethiopian somali sudanese congolese angolan brazilian argentinian argentine
chilean peruvian colombian venezuelan ecuadorian bolivian uruguayan paraguayan cuban dominican puerto
guatemalan honduran salvadoran nicaraguan panamanian jamaican haitian australian zealander greenlander
scandinavian nordic balkan slavic latin arab saudi saudis emirati qatari kuwaiti turkish kurdish armenian
georgian azerbaijani kazakh uzbek mongolian tibetan taiwanese filipino indonesian malaysian singaporean
c'mon o'clock info ray park
pt pts hx dx rx tx sx fx yo bid tid qid qd qhs qam qpm prn po iv im sq subq npo adl adls chf copd cad dm dm2 htn
hld cbc bmp cmp mri ct ekg ecg a1c ldl hdl bp hr rr spo2 ra wbc rbc hgb hct plt bun cr inr ptt tsh uti uri gerd
ckd esrd afib mi cva tia dvt pe sob cp abd ext neuro psych ortho obgyn ent gi gu pcp ed er icu nicu pacu or
ros hpi pmh psh fh sh nkda nka vss wnl nad rrr ctab htn lle rle lue rue ams loc gcs bmi ivf ns lr abx nsaid
ssri snri ace arb ppi otc mg kg lb lbs cm mm ml dl mcg meq mmol mmhg`
