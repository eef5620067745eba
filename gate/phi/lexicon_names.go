package phi

// firstNames lists frequent given names in the United States (census and
// birth-record frequency lists, both sexes) plus common Hispanic, Asian and
// European given names heard at clinics. Entries are lower case and space
// separated; names that are also everyday English words (will, grace, may)
// are listed here and resolved against commonWords at detection time.
const firstNames = `
aaliyah aaron abby abdul abel abigail abraham ada adam adan addison adela adelaide adele adeline adina aditya
adolfo adrian adriana adrienne agnes agustin ahmad ahmed aidan aiden aileen aimee aisha alan alana alanna alba
albert alberta alberto alden alec alejandra alejandro alessandra alex alexa alexander alexandra alexandria alexia
alexis alfonso alfred alfredo ali alice alicia alina alisha alison alissa alivia allan allen allison alma alonzo
alvaro alvin alyssa amalia amanda amani amber amelia amir amira amos amy ana anabel anastasia anders andre andrea
andreas andres andrew andy angel angela angelica angelina angelo angie anika anita ann anna annabelle anne annette
annie anthony antoine antoinette anton antonia antonio anya april araceli archer archie ari ariana arianna ariel
arjun arlene armando arnold arthur arturo asher ashlee ashley ashton astrid aubrey audrey august augustine aurora
austin autumn ava avery axel ayanna ayden bailey barbara barry bart beatrice beatriz beau becky belinda bella ben
benjamin bennett benny bernadette bernard bernice bernie beth bethany betsy betty beulah beverly bianca bill billie
billy blair blake blanca blanche bob bobbie bobby bonnie boris brad braden bradley brady brandi brandon brandy
braxton brayden brenda brendan brent brett brian briana brianna bridget brittany brittney brock brooke brooklyn
bruce bruno bryan bryant bryce bryson byron caitlin caitlyn caleb callie calvin camden cameron camila camille
candace candice cara carina carl carla carlos carlton carly carmen carol carole caroline carolyn carrie carson
carter casey cassandra cassidy catalina catherine cathy cecelia cecil cecilia cedric celeste celia cesar chad
chandler chanel charity charlene charles charlie charlotte chase chelsea cheryl cheyenne chloe chris christa
christian christina christine christopher christy ciara cindy claire clara clarence clark claude claudia clay
clayton clifford clifton clint clinton clyde cody colby cole coleman colin colleen collin connie connor conrad
constance cora corey corinne cornelius courtney craig cristian cristina crystal curtis cynthia daisy dakota dale
dallas damian damon dan dana daniel daniela daniella danielle danny dante daphne darius darla darlene darnell
darrell darren darryl daryl dave david dawn dean deanna debbie debora deborah debra declan deidre deirdre delia
della delores demetrius dena denise dennis derek derrick desiree devin devon dewey dexter diana diane dianne diego
dillon dina dixie dolores dominic dominick dominique don donald donna donovan dora doreen doris dorothy doug
douglas drew duane dustin dwayne dwight dylan earl ebony eddie edgar edith edmund edna eduardo edward edwin eileen
elaine elbert eleanor elena eli elias elijah elisa elisabeth elise eliza elizabeth ella ellen ellie elliot elliott
ellis elmer eloise elsa elsie elvira emanuel emerson emil emilia emiliano emilio emily emma emmanuel emmett enrique
eric erica erick erik erika erin ernest ernestine ernesto esmeralda esperanza essie estela estelle esther ethan
ethel eugene eunice eva evan evangeline eve evelyn everett ezekiel ezra fabian faith fatima faye federico felicia
felipe felix fernando fiona florence floyd frances francesca francis francisco frank frankie franklin fred freda
freddie freddy frederick gabriel gabriela gabriella gabrielle gail garrett gary gavin gayle gene geneva genevieve
geoffrey george georgia gerald geraldine gerard gerardo gertrude gianna gilbert gilberto gina ginger giovanni
gisela giselle gladys glen glenda glenn gloria gordon grace gracie graham grant greg gregg gregory greta gretchen
griffin guadalupe guillermo gustavo guy gwen gwendolyn hailey haley hank hannah hans harley harold harper harriet
harrison harry harvey hassan hattie hayden hazel heath heather hector heidi helen helena henry herbert herman
hilda hillary holly homer hope horace howard hubert hudson hugh hugo hunter ian ida ignacio imani imogen ines inez
ingrid ira irene iris irma isaac isabel isabella isabelle isaiah isiah ismael israel ivan ivy jack jackie jackson
jaclyn jacob jacqueline jacquelyn jada jade jaden jaime jake jakob jamal james jamie jan jana jane janelle janet
janice janie janine jared jasmine jason javier jay jayden jean jeanette jeanne jeannie jeff jefferson jeffery
jeffrey jenna jennie jennifer jenny jeremiah jeremy jerome jerry jesse jessica jessie jesus jill jim jimmie jimmy
jo joan joann joanna joanne joaquin jocelyn jodi jody joe joel joey johanna john johnathan johnny jon jonah
jonathan jordan jorge jose josef joseph josephine josh joshua josiah josie joy joyce juan juana juanita jude judith
judy julia julian juliana julie juliet julio julius june justin justine kai kaitlyn kara karen kari karina karl
karla kate katelyn katherine kathleen kathryn kathy katie katrina kay kayla kaylee keisha keith kelley kelli
kellie kelly kelsey ken kendall kendra kenneth kenny kent kerry kevin khalid kim kimberly kirk krista kristen
kristi kristin kristina kristine kristy kurt kyle kylie lacey lakisha lamar lana lance landon lara larry latasha
latisha latoya laura lauren laurence laurie lavern laverne lawrence layla leah lee leila leland lena leo leon
leona leonard leonardo leroy leslie lester leticia levi lewis lia liam lila lilian liliana lillian lilly lily
lincoln linda lindsay lindsey lionel lisa liza logan lois lola lonnie lora lorena lorenzo loretta lori lorraine
louis louise lourdes lucas lucia luciana lucille lucy luis luisa luke lula luna luz lydia lyle lynda lynette lynn
lynne mabel mackenzie madeline madelyn madison mae maggie magnus malcolm malik mallory mandy manuel mara marc
marcel marcella marcia marco marcos marcus margaret margarita margie margo maria mariah mariam marian mariana
marianne maribel marie marilyn marina mario marion marisa marisol marissa maritza marjorie mark marla marlene
marlon marsha marshall martha martin marty marvin mary maryann mason mateo mathew matilda matt matthew mattie
maureen maurice mavis max maxine maxwell may maya megan meghan mehmet melanie melba melinda melissa melody melvin
mercedes meredith mia micah michael michaela michele michelle miguel mike mikayla milagros milan mildred miles
millie milton mindy minnie miranda miriam misty mitchell mohamed mohammad mohammed moises mollie molly mona monica
monique morgan moses muhammad muriel myra myrna myron myrtle nadia nadine nancy naomi natalia natalie natasha
nathan nathaniel neal ned neil nelda nell nellie nelson nestor nettie nicholas nichole nick nicolas nicole nikki
nina noah noel noelle nora norma norman octavia odessa olga olive oliver olivia ollie omar ophelia orlando oscar
otis owen pablo paige pam pamela pat patrice patricia patrick patsy patti patty paul paula pauline pearl pedro
peggy penelope penny percy perry pete peter petra peyton phil philip phillip phoebe phyllis pierre polly preston
priscilla quentin quinn rachael rachel rafael ralph ramiro ramon ramona randall randy raquel raul ray raymond
reba rebecca rebekah reed regina reginald reid rena rene renee reuben rex reyna rhonda ricardo richard rick ricky
riley rita rob robert roberta roberto robin robyn rocio rodney rodolfo rodrigo roger roland rolando roman ron
ronald ronnie rosa rosalie rosalind rosalyn rosario rose rosemarie rosemary rosie ross rowan roxanne roy ruben
ruby rudolph rudy rufus russell ruth ryan sabrina sadie sal sally salvador salvatore sam samantha samir sammy
samuel sandra sandy santiago santos sara sarah sasha saul savannah scarlett scott sean sebastian selena serena
sergio seth shane shannon shari sharon shauna shawn shawna sheila shelby shelia shelley shelly sheri sherri
sherry sheryl shirley sidney sierra silvia simon simone sofia sonia sonja sonya sophia sophie spencer stacey
staci stacy stan stanley stefan stefanie stella stephanie stephen steve steven stewart stuart sue summer susan
susana susie suzanne sybil sydney sylvester sylvia tabitha tamara tami tammy tania tanisha tanya tara tasha
tatiana taylor ted teddy teresa teri terrance terrence terri terry tess tessa thaddeus thelma theo theodore
theresa thomas tiffany tim timothy tina toby todd tom tomas tommy toni tony tonya tracey traci tracy travis trent
trevor tricia trinity tristan troy trudy tyler tyrone ulysses valentina valentino valeria valerie vanessa velma
vera vernon veronica vicki vickie vicky victor victoria vince vincent viola violet virgil virginia vivian wade
wallace walter wanda warren wayne wendell wendy wesley whitney wilbur wilfred will willard william willie willis
wilma wilson winifred winston wyatt xavier ximena yasmin yesenia yolanda yvette yvonne zachary zack zane zara
zoe zoey

aarav akira alvir amit anjali anil arun deepak divya haruto hiroshi hiroko jun kenji keiko lakshmi mei ming
nguyen priya rahul raj rajesh ravi sanjay sunil wei xin yuki yuto anh linh minh thanh tuan
agnieszka andrzej aleksandr aleksandra alexei anatoly bogdan dmitri dmitry ekaterina elena galina igor irina
katarzyna krzysztof marek natasha oksana olga pavel piotr sergei svetlana tatiana vladimir yuri zofia
anders bjorn erik freya gustav ingrid johan lars leif linnea magnus mats nils olaf sigrid sven ulla
francois jacques jean-pierre marcel pascal thierry yves amelie brigitte claudette genevieve josiane
giuseppe giovanni luca lorenzo marco matteo paolo stefano chiara francesca giulia
hans helmut jurgen klaus uwe wolfgang dieter gunther heike ursula

abdullah abena abimbola adaeze adebayo adriel afua akosua alejandro alessia aleksei alenka alicja alondra amara
amina anastasios andrei andrej aniela anke antonella apolonia ashanti ayesha babajide baptiste bartosz beatriz
benedikt bilal bogdana bozena brigida caetano camilo candela carmela casimir catarina cayetano cedric chidi
chiamaka chinedu chioma consuelo cosmin cristobal dagmar damaris danuta darko dejan demetria denisa desmond
dimitra dimitrios dolores dorota dragan dusan efua ekene eleni elif elio eliska emeka emre enzo esra estefania
eszter evgeny ewa fadi farah farida fatma fenna filip filipa florin folasade fotini franziska friederike gaspar
genaro georgios gergely gheorghe giacomo gianluca gintaras goran gunnar guadalupe gyorgy habib hadiza hakan
halima hamza hana hanna hatice heinrich helga henrik hiba hugo ibrahim idris ifeoma ignacy ilse ilya imran
ines ioana ioannis irena irina isidro ivana ivo jadwiga jakub janina jarek jaroslav jelena jiri joanna johanna
jolanta jonas jorge joris jovana juraj jurgen justyna kamal kamila karim karolina kasia katarina katrin kemal
kerstin khadija kofi konstantin kostas kwame kwabena lamin leandro leila lenka leonor leopold lina lisbeth
ljubica lorenza lucian lucija ludmila luka lukas lutz maciej magdalena mahmoud maja malgorzata mamadou manon
marcelo marek mariusz marta marzena mateus mathias matej matteo mbali mehdi mercedes miguel mihaela mikhail
milan milena miloslav miroslav mirela mohamud monika mustafa nadia nadine nasser natalija nikola nikolai
nikolaj nils nkechi nnamdi noor nurul obinna ola olamide oleg olumide omari ondrej oskar otto pablo paola
patrycja pawel petar petr petra pilar piotr radek radu rafal rania rashid rasmus renata renzo reza rocio
rodrigo roksana rosalba rosario ruxandra saanvi sabine sadia saeed salma samira sandro sanja santino sebastian
selin sergio shreya sigrun silvana simona siobhan slavica snezana sofija soren stanislav stefania stepan
sunita svetlana sylwia szymon tadeusz tamar tariq teodora teresa thabo themba thiago tobias tomasz tunde ulrich
uma uri vaclav valentin vasile vasilis veronika viktor viktoria vilma vincenzo vladislav vojtech wiktoria
wojciech xiomara yaroslav yasmin yetunde yiannis yosef youssef yusuf zainab zbigniew zdenek zeynep zoltan
zuzana anouk bram daan femke floor jeroen joost lieke maarten niels pieter sander sanne thijs wouter
akiko ayumi daiki haruka hina kaito kazuki kenta mai miyu naoki riko ryota satoshi shota sora takumi tomoko
yui yuna yusuke chen fang hui jing juan lei li lin ling ming ning ping qing rui tao ting wen xiu yan yong
ananya arjun deepika devi gaurav harpreet jaspreet kavya krishna manish meera neha nikhil pooja pradeep
priyanka rohan sachin sanjana shivani sneha vikram vivek destiny ella tracy selma monika
`

// lastNames lists frequent United States surnames (census frequency order
// roughly, grouped) plus common Hispanic, Asian and European surnames.
const lastNames = `
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson
thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker
young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell
carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy
cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson
brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross
foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes gonzales fisher
vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin wallace moreno west cole
hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro marshall owens harrison
fernandez mcdonald woods washington kennedy wells vargas henry chen freeman webb tucker guzman burns crawford
olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner
black robertson boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols
stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters
santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray
delgado berry perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence sandoval
guerrero george chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke larson santiago
maldonado morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega bishop
montgomery oliver jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett
burton fuller wang weber welch rojas lucas marquez fields park yang little banks padilla day walsh bowman schultz
luna fowler mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas schneider
joseph barrett navarro figueroa keller avila wade molina stanley hopkins campos barnett bates chambers caldwell
beck lambert miranda byrd craig ayala lowe frazier powers neal leonard gregory carrillo sutton fleming rhodes
shelton schwartz norris jennings watts duran walters cohen mcdaniel moran parks steele vaughn becker holt
deleon barker terry hale leon hail benson haynes horton miles lyons pham graves bush thornton wolfe warner
cabrera mckinney mann zimmerman dawson lara fletcher page mccarthy love robles cervantes solis erickson reeves
chang klein salinas fuentes baldwin daniel simon velasquez hardy higgins aguirre lin cummings chandler sharp
barber bowen ochoa dennis robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross calderon
quinn moss swanson chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry
mclaughlin harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady goodman
roman webster goodwin fischer huang potter delacruz montoya todd wu hines mullins castaneda malone cannon tate
mack sherman hubbard hodges zhang guerra wolf valencia saunders franco rowe gallagher farmer hammond hampton
townsend ingram wise gallegos clarke barton schroeder maxwell waters logan camacho strickland norman person
colon parsons frank harrington glover osborne buchanan casey floyd patton ibarra ball tyler suarez bowers
orozco salas cobb gibbs andrade bauer conner moody escobar mcguire lloyd mueller hartman french kramer mcbride
pope lindsey velazquez norton mccormick sparks flynn yates hogan marsh macias villanueva zamora pratt stokes
owen ballard lang brock villarreal charles drake barrera cain patrick pineda burnett mercado santana shepherd
bautista ali shaffer lamb trevino mckenzie hess beil olsen cochran morton nash wilkins petersen briggs shah
roth nicholson holloway lozano rangel flowers hoover short arias mora valenzuela bryan meyers weiss underwood
bass greer summers houston carson morrow clayton whitaker decker yoder collier zuniga carey wilcox melendez
poole roberson larsen conley davenport copeland massey lam huff rocha cameron jefferson hood monroe anthony
pittman huynh randall singleton kirk combs mathis christian skinner bradford richard galvan wall boone kirby
wilkinson bridges bruce atkinson velez meza roy vincent york hodge villa abbott allison tapia gates chase sosa
sweeney farrell wyatt dalton horn barron phelps yu dickerson heath foley atkins mathews bonilla acevedo benitez
zavala hensley glenn cisneros harrell shields rubio huffman choi boyer garrison arroyo bond kane hancock callahan
dillon cline wiggins grimes arellano melton oneill savage ho beltran pitts parrish ponce rich booth koch golden
ware brennan mcdowell marks cantu humphrey baxter sawyer clay tanner hutchinson kaur berg wiley gilmore russo
villegas hobbs keith wilkerson ahmed beard mcclain montes mata rosario vang walter henson oneal mosley mcclure
beasley stephenson snow huerta preston vance barry johns eaton blackwell dyer prince macdonald solomon guevara
stafford english hurst woodard cortes shannon kemp nolan mccullough merritt murillo moon salgado strong kline
cordova barajas roach rosas winters jacobson lester knox bullock kerr leach meadows davila orr whitehead pruitt
kent conway mckee barr david dejesus marin berger mcintyre blankenship gaines palacios cuevas bartlett durham
dorsey mccall odonnell stein browning stout lowery sloan mclean hendricks calhoun sexton chung gentry hull
duarte ellison nielsen gillespie buck middleton sellers leblanc esparza hardin bradshaw mcintosh howe livingston
frost glass morse knapp herman stark bravo noble spears weeks corona frederick buckley mcfarland hebert
enriquez hickman quintero randolph schaefer walls trejo house reilly pennington michael conrad giles benjamin
crosby fitzpatrick donovan mays mahoney valentine raymond medrano hahn mcmillan small bentley felix peck lucero
boyle hanna pace rush hurley harding mcconnell bernal nava ayers everett ventura avery pugh mayer bender
shepard mcmahon landry case sampson moses magana blackburn dunlap gould duffy vaughan herring mckay espinosa
rivers farley bernard ashley friedman potts truong costa correa blevins nixon clements fry delarosa best
benton lugo portillo dougherty crane haley phan villalobos blanchard horne finley quintana lynn esquivel
bean dodson mullen xiong hayden cano levy huber richmond moyer lim frye sheppard mccarty avalos booker waller
parra woodward jaramillo krueger rasmussen brandt peralta donaldson stuart faulkner maynard galindo coffey
estes sanford burch maddox vo oconnell vu andersen spence mcpherson church schmitt stanton leal cherry compton
dudley sierra pollard alfaro hester proctor lu hinton novak good madden mccann terrell jarvis dickson reyna
cantrell mayo branch hendrix rollins rowland whitney duke odom daugherty travis tang archer
kowalski nowak wisniewski kaminski lewandowski zielinski szymanski wozniak dabrowski kozlowski borkowski
ivanov petrov smirnov popov volkov sokolov kuznetsov novikov morozov pavlov
muller schulz schmid wagner fischer weber hoffmann schafer koch richter wolff neumann schwarz zimmermann
braun kruger hofmann hartmann lange werner krause lehmann kohler
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti deluca mancini costa
giordano rizzo lombardi moretti
dubois durand lefebvre leroy moreau laurent girard bonnet dupont lambert fontaine rousseau vincent muller
lefevre faure andre mercier blanc guerin boyer garnier chevalier
silva santos oliveira souza pereira lima carvalho ferreira rodrigues almeida costa gomes ribeiro martins
araujo barbosa
tanaka suzuki takahashi watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki yamaguchi
matsumoto inoue kimura hayashi shimizu
kumar sharma gupta mehta reddy rao iyer nair joshi desai chopra malhotra agarwal verma banerjee mukherjee
chatterjee das bose
park kang cho yoon jang lim han shin seo kwon hwang ahn song jeon
le pham hoang phan vu vo dang bui do ngo duong ly
larsen hansen johansen pedersen andersen nilsen karlsen eriksson johansson karlsson nilsson larsson
lindberg lindqvist svensson gustafsson persson jonsson olsson magnusson
murphy kelly sullivan walsh byrne ryan oconnor obrien mccarthy doherty kennedy lynch quinn fitzgerald
donnelly gallagher
`
