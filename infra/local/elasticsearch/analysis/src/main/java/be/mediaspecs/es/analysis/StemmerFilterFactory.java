package be.mediaspecs.es.analysis;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.fr.FrenchLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchMinimalStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.tartarus.snowball.ext.DutchStemmer;
import org.tartarus.snowball.ext.EnglishStemmer;
import org.tartarus.snowball.ext.FrenchStemmer;
import org.tartarus.snowball.ext.German2Stemmer;
import org.tartarus.snowball.ext.GermanStemmer;
import org.tartarus.snowball.ext.KpStemmer;
import org.tartarus.snowball.ext.LovinsStemmer;

/**
 * {@code stemmer}: setting {@code language} (or its older spelling {@code name}), default {@code porter}.
 * Only the French, Dutch, German and English stemmers are offered; each name maps to the Lucene class
 * that Elasticsearch 8.x's analysis-common uses for it. Names are matched case-insensitively, and the
 * camelCase aliases production accepts (lightFrench, minimalGerman, ...) work too.
 */
final class StemmerFilterFactory extends AbstractTokenFilterFactory {

    private static final Map<String, UnaryOperator<TokenStream>> STEMMERS = new TreeMap<>();

    private static void add(UnaryOperator<TokenStream> stemmer, String... names) {
        for (String name : names) {
            STEMMERS.put(name.toLowerCase(Locale.ROOT), stemmer);
        }
    }

    static {
        // English
        add(PorterStemFilter::new, "english", "porter");
        add(in -> new SnowballFilter(in, new EnglishStemmer()), "porter2");
        add(KStemFilter::new, "light_english", "lightEnglish", "kstem");
        add(EnglishMinimalStemFilter::new, "minimal_english", "minimalEnglish");
        add(EnglishPossessiveFilter::new, "possessive_english", "possessiveEnglish");
        add(in -> new SnowballFilter(in, new LovinsStemmer()), "lovins");
        // French
        add(in -> new SnowballFilter(in, new FrenchStemmer()), "french");
        add(FrenchLightStemFilter::new, "light_french", "lightFrench");
        add(FrenchMinimalStemFilter::new, "minimal_french", "minimalFrench");
        // Dutch
        add(in -> new SnowballFilter(in, new DutchStemmer()), "dutch");
        add(in -> new SnowballFilter(in, new KpStemmer()), "dutch_kp", "dutchKp", "kp");
        // German
        add(in -> new SnowballFilter(in, new GermanStemmer()), "german");
        add(in -> new SnowballFilter(in, new German2Stemmer()), "german2");
        add(GermanLightStemFilter::new, "light_german", "lightGerman");
        add(GermanMinimalStemFilter::new, "minimal_german", "minimalGerman");
    }

    private final UnaryOperator<TokenStream> stemmer;

    StemmerFilterFactory(String name, Settings settings) {
        super(name, settings);
        String language = settings.get("language", settings.get("name", "porter"));
        this.stemmer = STEMMERS.get(language.toLowerCase(Locale.ROOT));
        if (stemmer == null) {
            throw new IllegalArgumentException(
                "stemmer [" + name + "]: language [" + language + "] is not offered by the local mediaspecs-analysis plugin "
                    + "(production Elasticsearch may know it); offered: " + STEMMERS.keySet()
            );
        }
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return stemmer.apply(tokenStream);
    }
}
